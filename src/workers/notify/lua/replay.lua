--[[
  notify replay: failed deliveries become pending again in their lines before their jobs are run again
  (src/workers/notify/deliveries.ts), so a later event run again never finds its earlier one still failed.

  KEYS[1…] line keys
  ARGV[1]  line TTL (ms)
  ARGV[2…] pairs: index of the line key in KEYS, padded stream id
  Returns the number of entries set pending.
]]
local n = 0
for i = 2, #ARGV, 2 do
  local k = KEYS[tonumber(ARGV[i])]
  local psid = ARGV[i + 1]
  local mark = redis.call('HGET', k, 'mark')
  if not (mark and psid <= mark) and redis.call('HGET', k, psid) ~= 'p' then
    redis.call('HSET', k, psid, 'p')
    n = n + 1
  end
  redis.call('PEXPIRE', k, ARGV[1])
end
return n
