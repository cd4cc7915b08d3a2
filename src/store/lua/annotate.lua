--[[
  Sets fields of a record without changing its state, only while it is in the expected state; keeps
  (or sets) its place in the janitor's index. Used for an explicit retry request on a not_received
  operation, which must stay looked after.

  KEYS[1] op hash
  KEYS[2] open operations zset

  ARGV[1] op id
  ARGV[2] expected state
  ARGV[3] janitor due (ms), '' = leave the index alone
  ARGV[4..] field, value pairs

  Returns 1 when set, 0 when the state was another.
]]
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[2] then return 0 end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
return 1
