--[[
  The fenced claim that precedes every POST (docs/CORE.md, "The fenced claim"): compare-and-set of
  queued|retry_wait → sending, only by the terminal's lease holder; counts the POST, stamps the fence
  `claim_until` = Redis TIME + fence (nobody may take the operation over before it), renews the lease
  and writes the `request` audit entry — all in this one script, so nothing that can block on Redis
  stands between the claim and the POST.

  KEYS[1] op hash
  KEYS[2] terminal lease (string holder)
  KEYS[3] lease expiries zset
  KEYS[4] the op's audit stream
  KEYS[5] the terminal's audit stream (capped)
  KEYS[6] open operations zset (janitor index)

  ARGV[1] op id
  ARGV[2] expected current states, comma-separated
  ARGV[3] now (ms, the caller's Redis-synchronised clock; stamps only)
  ARGV[4] lease expiry (ms)
  ARGV[5] terminal member <store>|<device>
  ARGV[6] fence (ms) added to Redis TIME
  ARGV[7] janitor due (ms)
  ARGV[8] audit data (JSON, no secrets)
  ARGV[9] audit summary
  ARGV[10] terminal audit cap
  ARGV[11] retention (ms) of the terminal audit stream and of the search indexes
  ARGV[12] claim token (unique per claim): later steps about this POST must name it
  ARGV[13..] field, value pairs to set

  Returns {'ok', sends, claim_until} | {'stale', state, sends, claim} | {'not_holder', holder or ''}
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'stale', 'missing', '0', ''} end
local ok = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == state then ok = true end end
if not ok then return {'stale', state, redis.call('HGET', KEYS[1], 'sends') or '0', redis.call('HGET', KEYS[1], 'claim') or ''} end
local holder = redis.call('GET', KEYS[2])
if holder ~= ARGV[1] then return {'not_holder', holder or ''} end
local sends = redis.call('HINCRBY', KEYS[1], 'sends', 1)
local t = redis.call('TIME')
local claim_until = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[6])
local fields = {}
for i = 13, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'state', 'sending', 'updated', ARGV[3], 'claim_until', claim_until, 'claim', ARGV[12], unpack(fields))
mypay_ix_move(KEYS[1], ARGV[1], state, 'sending', ARGV[3], ARGV[11])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('ZADD', KEYS[6], ARGV[7], ARGV[1])
redis.call('XADD', KEYS[4], '*', 'event', 'request', 'data', ARGV[8], 'attempt', sends)
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[10], '*', 'op', ARGV[1], 'event', 'request', 'summary', ARGV[9])
redis.call('PEXPIRE', KEYS[5], ARGV[11])
return {'ok', tostring(sends), tostring(claim_until)}
