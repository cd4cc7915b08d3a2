--[[
  The per-store cap on status queries (api/querydirect) to the gateway: at most N slots in any window
  of `window` ms on Redis' clock, shared by every process. Slots are handed out in order, each at the
  earliest time that keeps every window at N or fewer (possibly a little ahead: the caller waits for
  it); one further ahead than the caller may wait is not reserved.

  KEYS[1] the store's slots       {P}:qcap:<store>   zset: member → slot time (ms, Redis' clock)

  ARGV[1] N, slots per window
  ARGV[2] window (ms)
  ARGV[3] longest wait the caller accepts (ms)
  ARGV[4] a member unique to this call

  Returns the ms to wait before sending (0 = now), or -1: no slot within the longest wait (nothing
  reserved, nothing may be sent).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local slot = now
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then slot = math.max(slot, tonumber(last[2])) end
local count = redis.call('ZCARD', KEYS[1])
if count >= n then
  -- A new slot may come no earlier than a full window after the N-th latest: then no window of this
  -- length holds more than N.
  local nth = redis.call('ZRANGE', KEYS[1], count - n, count - n, 'WITHSCORES')
  slot = math.max(slot, tonumber(nth[2]) + window)
end
if slot - now > tonumber(ARGV[3]) then return -1 end
redis.call('ZADD', KEYS[1], slot, ARGV[4])
redis.call('PEXPIRE', KEYS[1], slot - now + window)
return slot - now
