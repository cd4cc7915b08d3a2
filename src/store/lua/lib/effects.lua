--[[
  Prepended to the state-changing scripts (scripts.ts): what a state change writes besides the record,
  in the same script as the change, so an audit entry or a merchant event exists exactly when the
  change does (docs/EVENTS.md).

  fx (decoded JSON, from the caller):
    p  = {{event, data JSON, summary}, …}           audit entries of what led to the change (the POST's
                                                    answer, the query that settled it), written first
    a  = {event, data JSON (no secrets), summary}  audit entry of the change, operation and terminal
    n  = answer code                                the terminal's last answer (its hash), e.g. B200
    i  = counter field                              incremented on the record (e.g. polls)
    l  = {logs key, line, …}                        the running BullMQ job's log lines for Bull Board
                                                    (the job's own `…:<id>:logs` list, removed with it)
    e  = event type                                 merchant event (charge.paid, operation.needs_review, …)
    r  = retention (ms)                             of the audit streams and the event streams
    m  = terminal audit cap (entries, approximate)
  Folding these into the state change saves the worker a round trip per step (docs/CORE.md ›
  Performance): the answer or query and the change it causes are one script.
  Keys: the op hash, its audit stream, the terminal's audit stream and hash, and the event stream: one
  entry per event with what routes it (type, store, op, state) and the record as it is after the
  change (one stream: a second per store cost two commands per event for a filter the feed can apply
  while it reads). Not copied into events: the charge `key` (only whether there is one) and the
  request payload `req` (items, customer fields such as user_email or user_cellphone): events are
  copied on to streams, delivery logs and receivers, and the merchant sent that payload itself.
]]
local function mypay_emit(fx_type, retention, k_events, store, ref_id, state, obj_json, now)
  local minid = tonumber(now) - tonumber(retention)
  if minid < 0 then minid = 0 end
  local id = redis.call('XADD', k_events, 'MINID', '~', tostring(minid), '*',
    'type', fx_type, 'store', store, 'op', ref_id, 'state', state, 'at', tostring(now), 'obj', obj_json)
  redis.call('PEXPIRE', k_events, retention)
  return id
end

local function mypay_event(fx_type, retention, k_op, k_events, op_id, now)
  local h = redis.call('HGETALL', k_op)
  local obj = {}
  for i = 1, #h, 2 do obj[h[i]] = h[i + 1] end
  if obj.key then obj.key = '1' end
  obj.req = nil
  return mypay_emit(fx_type, retention, k_events, obj.store or '', op_id, obj.state or '', cjson.encode(obj), now)
end

-- A running job's log lines (its `…:<id>:logs` list), only while the job exists: a job removed meanwhile
-- leaves no orphan list (BullMQ's addLog makes the same check).
local function mypay_job_log(l)
  if redis.call('EXISTS', string.sub(l[1], 1, -6)) == 1 then redis.call('RPUSH', unpack(l)) end
end

local function mypay_effects(fx, k_op, k_audit, k_devaudit, k_device, k_events, op_id, now)
  local entries = fx.p or {}
  if fx.a then entries[#entries + 1] = fx.a end
  for _, a in ipairs(entries) do
    redis.call('XADD', k_audit, '*', 'event', a[1], 'data', a[2])
    redis.call('XADD', k_devaudit, 'MAXLEN', '~', fx.m, '*', 'op', op_id, 'event', a[1], 'summary', a[3])
  end
  if #entries > 0 or fx.n then
    redis.call('PEXPIRE', k_audit, fx.r)
    redis.call('PEXPIRE', k_devaudit, fx.r)
    if fx.n then
      redis.call('HSET', k_device, 'last_event_at', now, 'last_answer_at', now, 'last_answer_code', fx.n)
    else
      redis.call('HSET', k_device, 'last_event_at', now)
    end
    redis.call('PEXPIRE', k_device, fx.r)
  end
  if fx.i then redis.call('HINCRBY', k_op, fx.i, 1) end
  if fx.l then mypay_job_log(fx.l) end
  if fx.e then mypay_event(fx.e, fx.r, k_op, k_events, op_id, now) end
end

--[[
  Search indexes (docs/CORE.md › Search), kept by the scripts that change state. Per store and family
  (charge, refund, reprint): zsets of op ids scored by the record's `ixs` (created ms × 1024 + a
  per-store sequence, so scores are unique and a cursor is one number):
    {P}:ix:<store>:<family>              every operation
    {P}:ix:<store>:<family>:s:<state>    by current state (moved with every state change)
    {P}:ix:<store>:<family>:d:<device>   by terminal
  Keys are built here from the record's key prefix, as BullMQ's scripts build job keys: they share the
  hash tag. Each key expires the retention plus a week after its last addition; entries older than
  that are trimmed on about one addition in IX_TRIM_EVERY (when the script's time and the entry's score
  add up to a multiple of it: varies per call, whatever the pattern of sequence numbers a key sees),
  which bounds a busy key the same way at a fraction of the commands.
]]
local IX_SLACK_MS = 7 * 86400000
local IX_TRIM_EVERY = 16

local function mypay_family(kind)
  if kind == 'charge' or kind == 'refund' then return kind end
  return 'reprint'
end

local function mypay_ix_add(key, score, member, now, retention)
  redis.call('ZADD', key, score, member)
  local keep = tonumber(retention) + IX_SLACK_MS
  if (tonumber(now) + tonumber(score)) % IX_TRIM_EVERY == 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. tostring((tonumber(now) - keep) * 1024))
  end
  redis.call('PEXPIRE', key, keep)
end

-- A new record: its score, and its entries in the family, state and terminal indexes.
local function mypay_ix_create(k_op, op_id, store, kind, device, now, retention)
  local base = string.match(k_op, '^(.*):op:')
  local seq_key = base .. ':ix:' .. store .. ':seq'
  local seq = redis.call('INCR', seq_key) % 1024
  redis.call('PEXPIRE', seq_key, 86400000)
  local score = tonumber(now) * 1024 + seq
  redis.call('HSET', k_op, 'ixs', string.format('%.0f', score))
  local fam = base .. ':ix:' .. store .. ':' .. mypay_family(kind)
  mypay_ix_add(fam, score, op_id, now, retention)
  mypay_ix_add(fam .. ':s:queued', score, op_id, now, retention)
  mypay_ix_add(fam .. ':d:' .. device, score, op_id, now, retention)
end

-- The record moved from state `from` to `to`: its entry moves between the state indexes.
local function mypay_ix_move(k_op, op_id, from, to, now, retention)
  if from == to then return end
  local r = redis.call('HMGET', k_op, 'store', 'kind', 'ixs')
  if not r[1] or not r[3] then return end
  local fam = string.match(k_op, '^(.*):op:') .. ':ix:' .. r[1] .. ':' .. mypay_family(r[2])
  redis.call('ZREM', fam .. ':s:' .. from, op_id)
  mypay_ix_add(fam .. ':s:' .. to, r[3], op_id, now, retention)
end
