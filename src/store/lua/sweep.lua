--[[
  Claims terminal leases whose expiry has passed, so exactly one sweeper recovers each: their
  expiry is pushed forward by ARGV[2] before the members are returned.

  KEYS[1] lease expiries zset
  ARGV[1] now (ms)
  ARGV[2] grace (ms) added to a claimed lease
  ARGV[3] max members to claim

  Returns the claimed terminal members (<store>|<device>).
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], until_ms, member) end
return due
