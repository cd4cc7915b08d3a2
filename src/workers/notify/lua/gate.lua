--[[
  notify gate: may this delivery be sent now? (src/workers/notify/deliver.ts, docs/WEBHOOKS.md)
  In one step: the operation's line (events of one operation reach an endpoint in order), the
  endpoint's circuit breaker and its concurrency cap.

  KEYS[1] line     {tag}:wh:line:<endpoint>|<opId>   hash  padded stream id -> p | f, mark -> last delivered
  KEYS[2] breaker  {tag}:wh:cb:<endpoint>            hash  fails, since, open_until, probe, probe_until
  KEYS[3] slots    {tag}:wh:slots:<endpoint>         zset  job id -> slot expiry (ms)
  KEYS[4] waiters  {tag}:wh:wait:<endpoint>          zset  job id -> since (ms)
  KEYS[5] held     {tag}:wh:held:<endpoint>          zset  job id -> since (ms)
  ARGV[1] padded stream id of this event
  ARGV[2] job id
  ARGV[3] now (ms, Redis-synchronised clock)
  ARGV[4] concurrency cap of the endpoint
  ARGV[5] slot lifetime (ms): a crashed sender's slot frees itself after it
  ARGV[6] probe lifetime (ms)
  ARGV[7] line TTL (ms)
  ARGV[8] TTL of the waiters / held sets (ms)
  Returns
    {'done'}                      delivered already (a duplicate run): nothing to send
    {'pred_failed', head}         an earlier event of the operation failed for good
    {'wait', head}                an earlier event of the operation is not delivered yet
    {'open', until, fails, since} the circuit is open (or a probe is running): not sent
    {'busy'}                      the endpoint's cap is reached: registered as a waiter
    {'go'} | {'probe'}            send now (a slot is taken; 'probe': the circuit's test request)
]]
local line, cb, slots, waiters, held = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local psid, job, now = ARGV[1], ARGV[2], tonumber(ARGV[3])

local st = redis.call('HGET', line, psid)
if not st then
  local mark = redis.call('HGET', line, 'mark')
  if mark and psid <= mark then return {'done'} end
  -- The line expired (or was never written): this event starts it again.
  redis.call('HSET', line, psid, 'p')
  redis.call('PEXPIRE', line, ARGV[7])
elseif st == 'f' then
  -- A failed delivery run again by a person (replay, Bull Board's retry).
  redis.call('HSET', line, psid, 'p')
  redis.call('PEXPIRE', line, ARGV[7])
end

local head = nil
for _, f in ipairs(redis.call('HKEYS', line)) do
  if f ~= 'mark' and (head == nil or f < head) then head = f end
end
if head ~= psid then
  if redis.call('HGET', line, head) == 'f' then return {'pred_failed', head} end
  return {'wait', head}
end

local b = redis.call('HMGET', cb, 'open_until', 'probe', 'probe_until', 'fails', 'since')
local probing = false
if b[1] then
  local open_until = tonumber(b[1])
  local busy_probe = b[2] and b[2] ~= job and now < tonumber(b[3] or '0')
  if now < open_until or busy_probe then
    redis.call('ZADD', held, now, job)
    redis.call('PEXPIRE', held, ARGV[8])
    local until_ms = open_until
    if busy_probe then until_ms = tonumber(b[3]) end
    return {'open', tostring(until_ms), b[4] or '0', b[5] or ''}
  end
  probing = true
end

redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
if not redis.call('ZSCORE', slots, job) and redis.call('ZCARD', slots) >= tonumber(ARGV[4]) then
  redis.call('ZADD', waiters, 'NX', now, job)
  redis.call('PEXPIRE', waiters, ARGV[8])
  return {'busy'}
end
redis.call('ZADD', slots, now + tonumber(ARGV[5]), job)
redis.call('PEXPIRE', slots, 2 * tonumber(ARGV[5]))
redis.call('ZREM', waiters, job)
redis.call('ZREM', held, job)
if probing then
  redis.call('HSET', cb, 'probe', job, 'probe_until', now + tonumber(ARGV[6]))
  redis.call('HDEL', cb, 'nudged')
  return {'probe'}
end
return {'go'}
