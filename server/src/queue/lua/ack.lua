-- ARGV: base, count, then per ack: id, lease token, result ('' for none).
-- Returns the ids whose lease was stale (not active, or reserved again since).
local now = now_ms()
local count = tonumber(ARGV[2])
local stale = {}
local acked = 0
for k = 0, count - 1 do
  local id, token, result = ARGV[3 + k * 3], ARGV[4 + k * 3], ARGV[5 + k * 3]
  local key = job_key(id)
  local f = redis.call('HMGET', key, 'state', 'lease', 'unique_key')
  if f[1] ~= 'active' or f[2] ~= token then
    stale[#stale + 1] = id
  else
    redis.call('ZREM', active, id)
    redis.call('HDEL', key, unpack(lease_fields))
    redis.call('HSET', key, 'state', 'completed', 'finished_at', int(now))
    if result ~= '' then redis.call('HSET', key, 'result', result) end
    redis.call('ZADD', completed, int(now), id)
    release_unique(key, id, f[3])
    emit_finished(key, 'completed')
    acked = acked + 1
  end
end
if acked > 0 then
  redis.call('HINCRBY', meta, 'active', -acked)
  redis.call('HINCRBY', meta, 'completed', acked)
end
return stale
