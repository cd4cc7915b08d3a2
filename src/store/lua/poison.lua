--[[
  A record that no longer parses: needs_review with the reason, written without reading it through
  the schema; its retention starts, it leaves the janitor's index, and the audit entry and the
  merchant event `operation.needs_review` are written in the same step (lib/effects.lua).

  KEYS[1] op hash
  KEYS[2] the op's audit stream
  KEYS[3] open operations zset (janitor index)
  KEYS[4] event stream

  ARGV[1] op id
  ARGV[2] reason
  ARGV[3] now (ms)
  ARGV[4] retention (ms)

  A record without a store gets no merchant event (nobody to send it to).

  Returns 1, or 0 when the record is gone.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 0
end
local from = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'state', 'needs_review', 'review', ARGV[2], 'updated', ARGV[3], 'finished', ARGV[3])
if from then mypay_ix_move(KEYS[1], ARGV[1], from, 'needs_review', ARGV[3], ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
-- XADD first: it creates the stream of an operation never sent, which must expire too.
redis.call('XADD', KEYS[2], '*', 'event', 'review', 'data', cjson.encode({ reason = ARGV[2] }))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('HGET', KEYS[1], 'store') then mypay_event('operation.needs_review', ARGV[4], KEYS[1], KEYS[4], ARGV[1], ARGV[3]) end
return 1
