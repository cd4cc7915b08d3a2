--[[
  Records an operation's final state and hands its terminal to the next operation in line, in one
  atomic step (docs/CORE.md). With an empty final state it only hands the terminal on (the terminal
  is known to be free while the operation keeps being followed up) — also when the record is gone, so
  a lease held by a missing record never blocks a terminal.
  Refunds also settle their charge: the reserved amount becomes refunded (success) or is freed.

  KEYS[1] op hash
  KEYS[2] terminal lease (string holder)
  KEYS[3] lease expiries zset
  KEYS[4] live mailbox
  KEYS[5] bulk mailbox
  KEYS[6] charge op hash (refunds of a charge we know; else = KEYS[1])
  KEYS[7] claimed refund uids set of that charge (else = KEYS[1])
  KEYS[8] the op's audit stream (expires with the record)
  KEYS[9] the op's children set (charges: expires with the record; else = KEYS[1])
  KEYS[10] open operations zset (janitor index)
  KEYS[11] the terminal's audit stream (capped)
  KEYS[12] the terminal's hash
  KEYS[13] event stream
  KEYS[14] the charge's gateway-uid index key (a paid charge's `uid` → op id; else = KEYS[1])
  KEYS[15..23] the device queue's BullMQ keys, as its promote script takes them: delayed, wait, paused,
           meta, prioritized, active, pc, events, marker

  ARGV[1] op id
  ARGV[2] final state, or '' to hand the terminal on only
  ARGV[3] expected current states, comma-separated ('' = any non-final)
  ARGV[4] now (ms)
  ARGV[5] lease expiry (ms) for the next holder
  ARGV[6] terminal member <store>|<device>
  ARGV[7] refund settlement: 'refunded' (reservation → refunded) | 'released' (reservation freed)
          | 'refunded_late' (refunded; the reservation was freed before) | ''
  ARGV[8] refund uid to claim ('' = none)
  ARGV[9] retention (ms) of the final record, its audit and children
  ARGV[10] janitor due (ms) when the final state still has a follow-up (not_received), '' = none
  ARGV[11] expected claim token ('' = any)
  ARGV[12] effects (JSON, lib/effects.lua) of the final state: audit entry and merchant event; '' = none.
           A refund that moves its charge to partially_refunded / refunded writes the charge's event too.
  ARGV[13] the device queue's job key prefix (BullMQ `queue.toKey('')`); '' = do not promote
  ARGV[14..] field, value pairs to set with the final state

  The hand-off promotes the next operation's parked device job in this same script (BullMQ's own
  promote script, lib/bull-promote: delayed → wait and the marker a blocked worker wakes on), so the
  next POST needs no round trip of ours between the final state and a worker's fetch.

  Returns {'ok', next op id or '', '1' promoted | '0' not parked (the caller recovers it) | ''}
        | {'stale', current state, sends, claim}
        | {'stale', 'claimed', sends, claim} when the refund uid is already another refund's
        | {'stale', 'unknown_posts', sends, claim} for a withdrawal of an operation with an unknown POST
]]
local state = redis.call('HGET', KEYS[1], 'state')
local fx = nil
local charge_event = nil
if ARGV[2] ~= '' then
  if not state then return {'stale', 'missing', '0', ''} end
  local sends = redis.call('HGET', KEYS[1], 'sends') or '0'
  local claim = redis.call('HGET', KEYS[1], 'claim') or ''
  if ARGV[3] ~= '' then
    local ok = false
    for s in string.gmatch(ARGV[3], '[^,]+') do if s == state then ok = true end end
    if not ok then return {'stale', state, sends, claim} end
  end
  if ARGV[11] ~= '' and claim ~= ARGV[11] then return {'stale', state, sends, claim} end
  -- Never withdrawn once a POST of it may still land (an explicit retry after not_received): checked
  -- here, in the same step, not only on the caller's earlier read.
  if ARGV[2] == 'withdrawn' and tonumber(redis.call('HGET', KEYS[1], 'unknown_posts') or '0') > 0 then
    return {'stale', 'unknown_posts', sends, claim}
  end
  -- One gateway refund row belongs to one refund of ours: a row another refund already claimed
  -- (two equal refunds followed up at once) is not this one's.
  if ARGV[8] ~= '' and KEYS[7] ~= KEYS[1] and redis.call('SISMEMBER', KEYS[7], ARGV[8]) == 1 then
    return {'stale', 'claimed', sends, claim}
  end
  local fields = {}
  for i = 14, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updated', ARGV[4], 'finished', ARGV[4], unpack(fields))
  mypay_ix_move(KEYS[1], ARGV[1], state, ARGV[2], ARGV[4], ARGV[9])
  redis.call('PEXPIRE', KEYS[1], ARGV[9])
  redis.call('PEXPIRE', KEYS[8], ARGV[9])
  if KEYS[9] ~= KEYS[1] then redis.call('PEXPIRE', KEYS[9], ARGV[9]) end
  if ARGV[10] ~= '' then
    redis.call('ZADD', KEYS[10], ARGV[10], ARGV[1])
  else
    redis.call('ZREM', KEYS[10], ARGV[1])
  end
  -- Never sent: leave the line it was waiting in.
  if state == 'queued' or state == 'retry_wait' then
    redis.call('LREM', KEYS[4], 1, ARGV[1])
    redis.call('LREM', KEYS[5], 1, ARGV[1])
  end
  local amount = tonumber(redis.call('HGET', KEYS[1], 'cost') or '0')
  local settle = ARGV[7]
  -- The charge's record expired meanwhile: nothing to settle (HINCRBY would re-create it as a stub without a TTL).
  if KEYS[6] ~= KEYS[1] and redis.call('EXISTS', KEYS[6]) == 0 then settle = '' end
  if KEYS[6] ~= KEYS[1] and (settle == 'refunded' or settle == 'refunded_late') then
    if settle == 'refunded' then redis.call('HINCRBY', KEYS[6], 'reserved', -amount) end
    local refunded = redis.call('HINCRBY', KEYS[6], 'refunded', amount)
    local cost = tonumber(redis.call('HGET', KEYS[6], 'cost') or '0')
    local cstate = redis.call('HGET', KEYS[6], 'state')
    if cstate == 'paid' or cstate == 'partially_refunded' then
      local next_state = 'partially_refunded'
      if refunded >= cost then next_state = 'refunded' end
      redis.call('HSET', KEYS[6], 'state', next_state, 'updated', ARGV[4])
      if next_state ~= cstate then
        charge_event = 'charge.' .. next_state
        mypay_ix_move(KEYS[6], redis.call('HGET', KEYS[6], 'id'), cstate, next_state, ARGV[4], ARGV[9])
      end
    end
  elseif KEYS[6] ~= KEYS[1] and settle == 'released' then
    redis.call('HINCRBY', KEYS[6], 'reserved', -amount)
  end
  if ARGV[8] ~= '' and KEYS[7] ~= KEYS[1] then
    redis.call('SADD', KEYS[7], ARGV[8])
    redis.call('PEXPIRE', KEYS[7], ARGV[9])
  end
  if KEYS[14] ~= KEYS[1] then redis.call('SET', KEYS[14], ARGV[1], 'PX', ARGV[9]) end
end

local nextOp = ''
if redis.call('GET', KEYS[2]) == ARGV[1] then
  nextOp = redis.call('LPOP', KEYS[4])
  if not nextOp then nextOp = redis.call('LPOP', KEYS[5]) end
  if nextOp then
    redis.call('SET', KEYS[2], nextOp)
    redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
  else
    nextOp = ''
    redis.call('DEL', KEYS[2])
    redis.call('ZREM', KEYS[3], ARGV[6])
  end
  if state then redis.call('HSET', KEYS[1], 'released', ARGV[4]) end
end
-- Last, so the event shows the record as this script leaves it (hand-off included).
if ARGV[2] ~= '' and ARGV[12] ~= '' then
  fx = cjson.decode(ARGV[12])
  mypay_effects(fx, KEYS[1], KEYS[8], KEYS[11], KEYS[12], KEYS[13], ARGV[1], ARGV[4])
  if fx.e and charge_event then
    mypay_event(charge_event, fx.r, KEYS[6], KEYS[13], redis.call('HGET', KEYS[6], 'id'), ARGV[4])
  end
end
-- BullMQ's code last: should it raise, the state, the hand-off, their audit entry and event are
-- written already (the script's error fails the job, whose rerun finds the state final; the next
-- operation's lease then expires and the sweeper dispatches it).
local promoted = ''
if nextOp ~= '' and ARGV[13] ~= '' then
  promoted = '0'
  local bull_keys = {}
  for i = 15, 23 do bull_keys[#bull_keys + 1] = KEYS[i] end
  if bull_promote(bull_keys, {ARGV[13], nextOp}) == 0 then promoted = '1' end
end
return {'ok', nextOp, promoted}
