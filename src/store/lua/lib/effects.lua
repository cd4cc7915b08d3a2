--[[
  Prepended to the state-changing scripts (scripts.ts): what a state change writes besides the record,
  in the same script as the change, so an audit entry or a merchant event exists exactly when the
  change does (docs/EVENTS.md).

  fx (decoded JSON, from the caller):
    a  = {event, data JSON (no secrets), summary}  audit entry of the operation and of its terminal
    e  = event type                                 merchant event (charge.paid, operation.needs_review, …)
    r  = retention (ms)                             of the audit streams and the event streams
    m  = terminal audit cap (entries, approximate)
  Keys: the op hash, its audit stream, the terminal's audit stream and hash, the global event stream
  (pointers: type, store, op, state) and the store's event stream (the event with the record as it is
  after the change; the charge `key` is never copied, only whether there is one).
]]
local function mypay_emit(fx_type, retention, k_events, k_store_events, store, ref_id, state, obj_json, now)
  local minid = tonumber(now) - tonumber(retention)
  if minid < 0 then minid = 0 end
  local id = redis.call('XADD', k_events, 'MINID', '~', tostring(minid), '*',
    'type', fx_type, 'store', store, 'op', ref_id, 'state', state)
  redis.call('PEXPIRE', k_events, retention)
  redis.call('XADD', k_store_events, 'MINID', '~', tostring(minid), id,
    'type', fx_type, 'op', ref_id, 'at', tostring(now), 'obj', obj_json)
  redis.call('PEXPIRE', k_store_events, retention)
  return id
end

local function mypay_event(fx_type, retention, k_op, k_events, k_store_events, op_id, now)
  local h = redis.call('HGETALL', k_op)
  local obj = {}
  for i = 1, #h, 2 do obj[h[i]] = h[i + 1] end
  if obj.key then obj.key = '1' end
  return mypay_emit(fx_type, retention, k_events, k_store_events, obj.store or '', op_id, obj.state or '', cjson.encode(obj), now)
end

local function mypay_effects(fx, k_op, k_audit, k_devaudit, k_device, k_events, k_store_events, op_id, now)
  if fx.a then
    redis.call('XADD', k_audit, '*', 'event', fx.a[1], 'data', fx.a[2])
    redis.call('PEXPIRE', k_audit, fx.r)
    redis.call('XADD', k_devaudit, 'MAXLEN', '~', fx.m, '*', 'op', op_id, 'event', fx.a[1], 'summary', fx.a[3])
    redis.call('PEXPIRE', k_devaudit, fx.r)
    redis.call('HSET', k_device, 'last_event_at', now)
    redis.call('PEXPIRE', k_device, fx.r)
  end
  if fx.e then mypay_event(fx.e, fx.r, k_op, k_events, k_store_events, op_id, now) end
end
