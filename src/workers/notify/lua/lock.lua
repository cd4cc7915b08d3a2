--[[
  notify lock: take or renew the dispatcher lock (one dispatcher at a time, so events enter their
  lines in stream order). KEYS[1] the lock; ARGV[1] token; ARGV[2] lifetime (ms); ARGV[3] 'release'
  to give it up. Returns 2 taken now, 1 renewed (or released), 0 held by another.
]]
local v = redis.call('GET', KEYS[1])
if ARGV[3] == 'release' then
  if v == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
  return 0
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
