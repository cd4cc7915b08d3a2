--[[
  An explicit retry of a `not_received` operation (POST /v1/operations/{id}/retry, after a fresh
  query found no trace of it): back to `queued` as a new attempt, at the end of its terminal's line —
  or holding the terminal at once when it is free and nobody waits.

  KEYS[1] op hash
  KEYS[2] live mailbox
  KEYS[3] bulk mailbox
  KEYS[4] terminal lease
  KEYS[5] lease expiries zset
  KEYS[6] open operations zset
  KEYS[7] the op's audit stream (kept again while the operation is open)

  ARGV[1] op id
  ARGV[2] now (ms)
  ARGV[3] lease expiry (ms) if the lease is taken now
  ARGV[4] terminal member <store>|<device>
  ARGV[5] janitor due (ms)
  ARGV[6] retention (ms) of the search indexes
  ARGV[7..] field, value pairs to set

  Returns {'ok', dispatched} (1 = holds the terminal now) | {'stale', state}
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'not_received' then return {'stale', state or 'missing'} end
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
local attempt = tonumber(redis.call('HGET', KEYS[1], 'attempt') or '1') + 1
redis.call('HSET', KEYS[1], 'attempt', attempt)
redis.call('HSET', KEYS[1], 'state', 'queued', 'updated', ARGV[2], unpack(fields))
-- A new attempt: its own deadline, fence, verdict and verification (the first POST's time and the
-- refund's first snapshot stay: they still prove which gateway rows can be ours).
redis.call('HDEL', KEYS[1], 'finished', 'released', 'claim_until', 'claim', 'unknown_at', 'accepted', 'deadline', 'reverified', 'retry_requested', 'redrives')
mypay_ix_move(KEYS[1], ARGV[1], 'not_received', 'queued', ARGV[2], ARGV[6])
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[7])
redis.call('ZADD', KEYS[6], ARGV[5], ARGV[1])
local lane = redis.call('HGET', KEYS[1], 'lane')
if redis.call('EXISTS', KEYS[4]) == 0 and redis.call('LLEN', KEYS[2]) == 0 and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('SET', KEYS[4], ARGV[1])
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[4])
  return {'ok', '1'}
end
if lane == 'bulk' then redis.call('RPUSH', KEYS[3], ARGV[1]) else redis.call('RPUSH', KEYS[2], ARGV[1]) end
return {'ok', '0'}
