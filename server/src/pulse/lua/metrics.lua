-- KEYS[1]: the node's per-minute metrics (ZSET scored by minute, one member per minute:
-- "count|process cpu|rss|system cpu|memory used|disk used|jobs" sums). ARGV: the six values of
-- one beat. Adds the beat to the current minute and drops minutes older than 24 hours, so at
-- most 1,440 members remain.
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minute = now - now % 60000
local sums = {0, 0, 0, 0, 0, 0, 0}
local current = redis.call('ZRANGEBYSCORE', key, minute, minute)
if current[1] then
  local i = 1
  for part in string.gmatch(current[1], '[^|]+') do
    sums[i] = tonumber(part) or 0
    i = i + 1
  end
  redis.call('ZREM', key, current[1])
end
sums[1] = sums[1] + 1
for i = 1, 6 do
  sums[i + 1] = sums[i + 1] + (tonumber(ARGV[i]) or 0)
end
local parts = {}
for i = 1, 7 do
  parts[i] = string.format('%.17g', sums[i])
end
redis.call('ZADD', key, minute, table.concat(parts, '|'))
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%d', minute - 86400000 + 60000))
redis.call('PEXPIRE', key, 86400000 + 60000)
return 1
