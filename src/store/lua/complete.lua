--[[
  Marks a hash (a refund batch's meta) `status = complete` once, and writes its merchant event in the
  same step (lib/effects.lua): a second call (a job run again after a crash) changes nothing and
  writes no second event.

  KEYS[1] the hash
  KEYS[2] event stream

  ARGV[1] event type
  ARGV[2] store
  ARGV[3] id of the object (the batch id)
  ARGV[4] the object as the event shows it (JSON)
  ARGV[5] now (ms)
  ARGV[6] retention (ms) of the event stream
  ARGV[7..] more field, value pairs to set with the status

  Returns 1 when marked now, 0 when it was complete already.
]]
if redis.call('HGET', KEYS[1], 'status') == 'complete' then return 0 end
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', 'complete', unpack(fields))
mypay_emit(ARGV[1], ARGV[6], KEYS[2], ARGV[2], ARGV[3], 'complete', ARGV[4], ARGV[5])
return 1
