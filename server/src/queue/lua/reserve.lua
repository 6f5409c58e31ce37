-- ARGV: base, max jobs, lease ms, token prefix, worker id.
-- Returns the reserved jobs' hashes (flat field/value arrays); nothing when paused.
if redis.call('HEXISTS', meta, 'paused') == 1 then return {} end
local max_jobs, lease_ms, token_prefix, worker = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local popped = redis.call('ZPOPMIN', pending, max_jobs)
if #popped == 0 then return {} end
local now = now_ms()
local out = {}
for k = 1, #popped, 2 do
  local id = popped[k]
  local key = job_key(id)
  if redis.call('EXISTS', key) == 1 then
    local attempts = redis.call('HINCRBY', key, 'attempts', 1)
    local timeout = tonumber(redis.call('HGET', key, 'timeout') or '0')
    local deadline = now + lease_ms
    local cap = 0
    if timeout > 0 then
      cap = now + timeout
      if deadline > cap then deadline = cap end
    end
    redis.call('HSET', key, 'state', 'active', 'started_at', int(now), 'lease', token_prefix .. '.' .. attempts,
      'lease_deadline', int(deadline), 'attempt_deadline', int(cap), 'worker', worker)
    redis.call('ZADD', active, int(deadline), id)
    out[#out + 1] = redis.call('HGETALL', key)
  end
end
redis.call('HINCRBY', meta, 'pending', -(#popped / 2))
if #out > 0 then redis.call('HINCRBY', meta, 'active', #out) end
return out
