--[[
  Gateway rate limit for batch (bulk-lane) sends: hands out send slots `interval` ms apart, across
  every worker process. A send reserves its slot once; asking again with the same op id returns the
  same slot (so a job that slept until its slot does not reserve another), and the reservation is
  consumed when its time has come.

  KEYS[1] next free slot (ms)          {P}:batch-gate
  KEYS[2] this send's reserved slot    {P}:batch-gate:<opId>

  ARGV[1] now (ms)
  ARGV[2] interval between sends (ms)
  ARGV[3] reservation lifetime after its slot (ms), so a reservation of a job that died expires

  Returns the ms to wait before sending (0 = send now; the reservation is then consumed).
]]
local now = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[2]) or '')
if not slot then
  slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
  redis.call('SET', KEYS[1], slot + tonumber(ARGV[2]), 'PX', math.ceil(slot + tonumber(ARGV[2]) - now) + 60000)
  if slot > now then
    redis.call('SET', KEYS[2], slot, 'PX', math.ceil(slot - now) + tonumber(ARGV[3]))
  end
end
if slot <= now then
  redis.call('DEL', KEYS[2])
  return 0
end
return math.ceil(slot - now)
