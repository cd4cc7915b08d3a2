--[[
  notify done: the end of one delivery attempt (src/workers/notify/deliver.ts, docs/WEBHOOKS.md).
  Frees the job's slot, moves the operation's line on, and counts the attempt in the endpoint's
  circuit breaker — one step, so what wakes next is decided on what is true now.

  KEYS: as gate.lua (line, breaker, slots, waiters, held)
  ARGV[1]  padded stream id
  ARGV[2]  job id
  ARGV[3]  outcome: ok (delivered) | fail (will be retried) | gaveup (failed for good) | release (nothing happened)
  ARGV[4]  now (ms)
  ARGV[5]  '1' when a request was sent (only those count in the breaker)
  ARGV[6]  failures in a row that open the circuit
  ARGV[7]  cool-down of an open circuit (ms)
  ARGV[8]  line TTL while it holds undelivered events (ms)
  ARGV[9]  line TTL once only its `mark` is left (ms)
  ARGV[10] TTL of the breaker and the held set (ms)
  ARGV[11] most held jobs returned when the circuit closes
  ARGV[12] slot lifetime (ms): the freed slot is handed to the oldest waiter (reserved for it)
  Returns {next, waiter, opened, closed, held ids...}:
    next    padded stream id of the line's first pending event to wake ('' none): after ok / gaveup
    waiter  job id waiting for a slot to wake ('' none): the slot is already its own
    opened  '1' when this attempt opened the circuit; closed '1' when it closed it
]]
local line, cb, slots, waiters, held = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local psid, job, outcome, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local requested = ARGV[5] == '1'

local waiter = ''
if redis.call('ZREM', slots, job) == 1 then
  local w = redis.call('ZPOPMIN', waiters, 1)
  if w[1] then
    waiter = w[1]
    redis.call('ZADD', slots, now + tonumber(ARGV[12]), waiter)
  end
end
-- Held until delivered or failed for good (a delivery not sent while the circuit is open stays held).
if outcome == 'ok' or outcome == 'gaveup' then redis.call('ZREM', held, job) end

local opened, closed = '0', '0'
local out_held = {}
if requested and outcome == 'ok' then
  if redis.call('HEXISTS', cb, 'open_until') == 1 then
    closed = '1'
    out_held = redis.call('ZRANGE', held, 0, tonumber(ARGV[11]) - 1)
    if #out_held > 0 then redis.call('ZREM', held, unpack(out_held)) end
  end
  redis.call('DEL', cb)
elseif requested and (outcome == 'fail' or outcome == 'gaveup') then
  local fails = redis.call('HINCRBY', cb, 'fails', 1)
  redis.call('HSETNX', cb, 'since', now)
  local was_probe = redis.call('HGET', cb, 'probe') == job
  local is_open = redis.call('HEXISTS', cb, 'open_until') == 1
  if was_probe or (not is_open and fails >= tonumber(ARGV[6])) then
    redis.call('HSET', cb, 'open_until', now + tonumber(ARGV[7]))
    redis.call('HDEL', cb, 'probe', 'probe_until', 'nudged')
    opened = '1'
  end
  redis.call('PEXPIRE', cb, ARGV[10])
  -- A delivery waiting for its retry is woken too when a probe closes the circuit.
  if outcome == 'fail' then
    redis.call('ZADD', held, now, job)
    redis.call('PEXPIRE', held, ARGV[10])
  end
elseif redis.call('HGET', cb, 'probe') == job then
  -- A probe that sent nothing hands the probe on.
  redis.call('HDEL', cb, 'probe', 'probe_until')
end

local nxt = ''
if outcome == 'ok' or outcome == 'gaveup' then
  if outcome == 'ok' then
    redis.call('HDEL', line, psid)
    local mark = redis.call('HGET', line, 'mark')
    if not mark or mark < psid then redis.call('HSET', line, 'mark', psid) end
  else
    redis.call('HSET', line, psid, 'f')
  end
  local h = redis.call('HGETALL', line)
  for i = 1, #h, 2 do
    if h[i] ~= 'mark' and h[i + 1] == 'p' and (nxt == '' or h[i] < nxt) then nxt = h[i] end
  end
  if #h == 2 then redis.call('PEXPIRE', line, ARGV[9]) else redis.call('PEXPIRE', line, ARGV[8]) end
end

local res = {nxt, waiter, opened, closed}
for _, id in ipairs(out_held) do res[#res + 1] = id end
return res
