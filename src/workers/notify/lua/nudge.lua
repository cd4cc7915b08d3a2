--[[
  notify nudge: an open circuit's cool-down is over — wake one held delivery to be the probe, once per
  opening (the breaker's `nudged` flag; the opening clears it). Without it the probe would wait for
  some delivery's own retry, hours late once the schedule has grown (src/workers/notify/deliver.ts).

  KEYS[1] breaker {tag}:wh:cb:<endpoint>; KEYS[2] held {tag}:wh:held:<endpoint>
  ARGV[1] now (ms)
  Returns the job id to wake, or false (circuit closed, not due yet, probe running, nudged already).
]]
local b = redis.call('HMGET', KEYS[1], 'open_until', 'probe_until', 'nudged')
if not b[1] or tonumber(ARGV[1]) < tonumber(b[1]) or b[3] then return false end
if b[2] and tonumber(ARGV[1]) < tonumber(b[2]) then return false end
local first = redis.call('ZRANGE', KEYS[2], 0, 0)
if not first[1] then return false end
redis.call('HSET', KEYS[1], 'nudged', '1')
return first[1]
