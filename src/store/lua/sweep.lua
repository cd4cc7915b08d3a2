--[[
  Claims terminal leases whose expiry has passed, so exactly one sweeper recovers each: their
  expiry is pushed forward by ARGV[2] before the members are returned. An index entry whose lease
  is gone (the terminal is free) is removed here instead of being returned.

  KEYS[1] lease expiries zset
  ARGV[1] now (ms)
  ARGV[2] grace (ms) added to a claimed lease
  ARGV[3] max members to claim
  ARGV[4] lease key prefix `{P}:lease:` (same hash tag as KEYS[1])

  Returns the claimed terminal members (<store>|<device>).
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
local claimed = {}
for _, member in ipairs(due) do
  if redis.call('EXISTS', ARGV[4] .. member) == 0 then
    redis.call('ZREM', KEYS[1], member)
  else
    redis.call('ZADD', KEYS[1], until_ms, member)
    claimed[#claimed + 1] = member
  end
end
return claimed
