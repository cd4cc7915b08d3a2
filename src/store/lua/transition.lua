--[[
  Compare-and-set of an operation's state (non-final steps), optionally renewing its terminal lease.
  The transition table itself is checked in TypeScript (domain/operation/states.ts) before the call;
  this script makes the change only if the state is still one the caller expected.

  KEYS[1] op hash
  KEYS[2] terminal lease (string holder)
  KEYS[3] lease expiries zset

  ARGV[1] op id
  ARGV[2] new state
  ARGV[3] expected current states, comma-separated
  ARGV[4] now (ms)
  ARGV[5] new lease expiry (ms), '0' = leave the lease alone
  ARGV[6] terminal member <store>|<device>
  ARGV[7] '1' = only if this op holds the terminal lease
  ARGV[8] name of a counter field to increment ('' = none)
  ARGV[9..] field, value pairs to set

  Returns {'ok', counter} | {'stale', current state} | {'not_holder', holder or ''}
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'stale', 'missing'} end
local ok = false
for s in string.gmatch(ARGV[3], '[^,]+') do if s == state then ok = true end end
if not ok then return {'stale', state} end
if ARGV[7] == '1' then
  local holder = redis.call('GET', KEYS[2])
  if holder ~= ARGV[1] then return {'not_holder', holder or ''} end
end
local counter = ''
if ARGV[8] ~= '' then counter = tostring(redis.call('HINCRBY', KEYS[1], ARGV[8], 1)) end
local fields = {}
for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updated', ARGV[4], unpack(fields))
if ARGV[5] ~= '0' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
end
return {'ok', counter}
