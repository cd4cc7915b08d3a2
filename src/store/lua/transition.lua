--[[
  Compare-and-set of an operation's state, optionally renewing its terminal lease.
  The transition table itself is checked in TypeScript (domain/operation/states.ts) before the call;
  this script makes the change only if the state is still one the caller expected — and, where asked,
  only for the caller's own POST (`sends`) and only once the claim's fence has passed.

  KEYS[1] op hash
  KEYS[2] terminal lease (string holder)
  KEYS[3] lease expiries zset
  KEYS[4] open operations zset (janitor index)
  KEYS[5] the op's audit stream (expires with a final record)
  KEYS[6] the terminal's audit stream (capped)
  KEYS[7] the terminal's hash
  KEYS[8] event stream

  ARGV[1] op id
  ARGV[2] new state
  ARGV[3] expected current states, comma-separated
  ARGV[4] now (ms)
  ARGV[5] new lease expiry (ms), '0' = leave the lease alone
  ARGV[6] terminal member <store>|<device>
  ARGV[7] '1' = only if this op holds the terminal lease
  ARGV[8] name of a counter field to increment ('' = none)
  ARGV[9] expected claim token ('' = any): the change is about this claim's POST only
  ARGV[10] '1' = only once Redis TIME has passed the record's `claim_until` (taking a claim over)
  ARGV[11] janitor due (ms) for the open index; '' = leave, '-' = remove
  ARGV[12] retention (ms) of the record and its audit; '' = none (non-final states)
  ARGV[13] effects (JSON, lib/effects.lua): audit entry and merchant event of this change, retention
  ARGV[14..] field, value pairs to set

  Returns {'ok', counter} | {'stale', current state, sends, claim} | {'not_holder', holder or ''}
        | {'fenced', claim_until}
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'stale', 'missing', '0', ''} end
local sends = redis.call('HGET', KEYS[1], 'sends') or '0'
local claim = redis.call('HGET', KEYS[1], 'claim') or ''
local ok = false
for s in string.gmatch(ARGV[3], '[^,]+') do if s == state then ok = true end end
if not ok or (ARGV[9] ~= '' and claim ~= ARGV[9]) then return {'stale', state, sends, claim} end
if ARGV[7] == '1' then
  local holder = redis.call('GET', KEYS[2])
  if holder ~= ARGV[1] then return {'not_holder', holder or ''} end
end
if ARGV[10] == '1' then
  local until_ms = tonumber(redis.call('HGET', KEYS[1], 'claim_until') or '0')
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now < until_ms then return {'fenced', tostring(until_ms)} end
end
local counter = ''
if ARGV[8] ~= '' then counter = tostring(redis.call('HINCRBY', KEYS[1], ARGV[8], 1)) end
local fields = {}
for i = 14, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updated', ARGV[4], unpack(fields))
local fx = cjson.decode(ARGV[13])
mypay_ix_move(KEYS[1], ARGV[1], state, ARGV[2], ARGV[4], fx.r)
if ARGV[5] ~= '0' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
end
if ARGV[11] == '-' then
  redis.call('ZREM', KEYS[4], ARGV[1])
elseif ARGV[11] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[11], ARGV[1])
end
if ARGV[12] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[12])
  redis.call('PEXPIRE', KEYS[5], ARGV[12])
end
mypay_effects(fx, KEYS[1], KEYS[5], KEYS[6], KEYS[7], KEYS[8], ARGV[1], ARGV[4])
return {'ok', counter}
