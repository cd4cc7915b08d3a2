--[[
  Creates an operation and puts it in its terminal's line, idempotently by operation id.
  If the terminal is free and its line empty, the operation takes the terminal lease at once.

  KEYS[1] op hash            {P}:op:<opId>
  KEYS[2] live mailbox       {P}:mb:<store>|<device>:live   (list of op ids, FIFO)
  KEYS[3] bulk mailbox       {P}:mb:<store>|<device>:bulk   (batch refunds; served after live)
  KEYS[4] terminal lease     {P}:lease:<store>|<device>     (string: holder op id; no TTL, see leases)
  KEYS[5] lease expiries     {P}:leases                     (zset member <store>|<device>, score expiry ms)
  KEYS[6] known terminals    {P}:devices                    (zset member <store>|<device>, score last use ms)
  KEYS[7] charge op hash     (refunds of a charge we know: balance check + reservation; else = KEYS[1])
  KEYS[8] charge's children  {P}:children:<chargeOpId> (set of refund/reprint op ids; else = KEYS[1])
  KEYS[9] order-id tombstone {P}:tomb:<store>:<order_id> (charges; else = KEYS[1])
  KEYS[10] open operations   {P}:open (zset op id → janitor due ms)

  ARGV[1] op id
  ARGV[2] fingerprint of the parameters (idempotency: same id + other fingerprint = conflict)
  ARGV[3] lane: 'live' | 'bulk'
  ARGV[4] now (ms)
  ARGV[5] lease expiry (ms) if the lease is taken now
  ARGV[6] terminal member <store>|<device>
  ARGV[7] refund amount to reserve on KEYS[7] ('0' = no reservation)
  ARGV[8] tombstone lifetime (ms): how long a charge's order_id stays refused for reuse
  ARGV[9] janitor due (ms)
  ARGV[10] retention (ms) of the children set and of the search indexes (lib/effects.lua)
  ARGV[11..] field, value pairs of the new op hash

  Returns
  {'existing', state, holder, record}
                                 same id, same fingerprint: nothing changed; the terminal's lease
                                 holder ('' if free) and the record (HGETALL), so a replay needs no
                                 read of its own (the same fingerprint means the same terminal)
  {'conflict', state}            same id, other parameters: nothing changed
  {'charge_not_refundable', st}  the charge is not paid (or unknown): nothing changed
  {'over_refund', refundable}    amount above the refundable balance: nothing changed
  {'reused', first use ms}       a charge whose order_id was used before (record expired, tombstone
                                 kept): nothing changed
  {'created', dispatched}        dispatched = '1' when the op holds the terminal lease now, else '0'
                                 (strings: a Lua number would reach the client as a number)
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state then
  if redis.call('HGET', KEYS[1], 'fp') == ARGV[2] then
    return {'existing', state, redis.call('GET', KEYS[4]) or '', redis.call('HGETALL', KEYS[1])}
  end
  return {'conflict', state}
end

if KEYS[9] ~= KEYS[1] then
  local used = redis.call('GET', KEYS[9])
  if used then return {'reused', used} end
end

local amount = tonumber(ARGV[7])
if amount > 0 then
  local cstate = redis.call('HGET', KEYS[7], 'state')
  if cstate ~= 'paid' and cstate ~= 'partially_refunded' then return {'charge_not_refundable', cstate or 'missing'} end
  local cost = tonumber(redis.call('HGET', KEYS[7], 'cost') or '0')
  local refunded = tonumber(redis.call('HGET', KEYS[7], 'refunded') or '0')
  local reserved = tonumber(redis.call('HGET', KEYS[7], 'reserved') or '0')
  local refundable = cost - refunded - reserved
  if amount > refundable then return {'over_refund', tostring(refundable)} end
  redis.call('HINCRBY', KEYS[7], 'reserved', amount)
end

local fields = {}
for i = 11, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'fp', ARGV[2], 'lane', ARGV[3], 'state', 'queued', 'created', ARGV[4], 'updated', ARGV[4], unpack(fields))
local who = redis.call('HMGET', KEYS[1], 'store', 'kind', 'device')
mypay_ix_create(KEYS[1], ARGV[1], who[1], who[2], who[3], ARGV[4], ARGV[10])
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[6])
redis.call('ZADD', KEYS[10], ARGV[9], ARGV[1])
if KEYS[8] ~= KEYS[1] then
  redis.call('SADD', KEYS[8], ARGV[1])
  redis.call('PEXPIRE', KEYS[8], ARGV[10])
end
if KEYS[9] ~= KEYS[1] then redis.call('SET', KEYS[9], ARGV[4], 'PX', ARGV[8]) end

if redis.call('EXISTS', KEYS[4]) == 0 and redis.call('LLEN', KEYS[2]) == 0 and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('SET', KEYS[4], ARGV[1])
  redis.call('ZADD', KEYS[5], ARGV[5], ARGV[6])
  return {'created', '1'}
end
if ARGV[3] == 'bulk' then
  redis.call('RPUSH', KEYS[3], ARGV[1])
else
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
return {'created', '0'}
