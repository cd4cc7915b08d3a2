--[[
  notify dispatch: puts a batch of events into their operations' lines (src/workers/notify/dispatcher.ts),
  only while the caller still holds the dispatcher lock (a paused dispatcher that lost it writes nothing).

  KEYS[1]  the dispatcher lock {tag}:wh:dispatch
  KEYS[2…] line keys {tag}:wh:line:<endpoint>|<opId>
  ARGV[1]  the caller's lock token
  ARGV[2]  line TTL (ms)
  ARGV[3…] pairs: index of the line key in KEYS, padded stream id
  Returns {-1} when the lock is not the caller's; else one flag per pair: 1 in the line and its head
  (its delivery job is to run now), 2 in the line behind an earlier event not delivered yet (its
  job is added parked: the head's delivery wakes it), 0 delivered already (a re-dispatch after a
  crash: no job).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local out = {}
for i = 3, #ARGV, 2 do
  local k = KEYS[tonumber(ARGV[i])]
  local psid = ARGV[i + 1]
  local mark = redis.call('HGET', k, 'mark')
  if mark and psid <= mark then
    out[#out + 1] = 0
  else
    redis.call('HSETNX', k, psid, 'p')
    redis.call('PEXPIRE', k, ARGV[2])
    local behind = 1
    for _, f in ipairs(redis.call('HKEYS', k)) do
      if f ~= 'mark' and f < psid then behind = 2 end
    end
    out[#out + 1] = behind
  end
end
return out
