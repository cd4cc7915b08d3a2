--[[
  Pushes a terminal's lease expiry forward, only if `op` still holds the terminal (the holder check
  and the write in one step), and notes the operation's next due time in the janitor's index.

  KEYS[1] terminal lease (string holder)
  KEYS[2] lease expiries zset
  KEYS[3] open operations zset

  ARGV[1] op id
  ARGV[2] new lease expiry (ms)
  ARGV[3] terminal member <store>|<device>
  ARGV[4] janitor due (ms), '' = leave

  Returns 1 when renewed, 0 when another operation (or none) holds the terminal.
]]
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
