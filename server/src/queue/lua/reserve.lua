-- ARGV: base, max jobs, lease ms, token prefix, worker id.
-- Returns {now_ms, {spec, created_at, scheduled_at, last error, stack trace, attempts, lease
-- token, lease deadline ms}...}; nothing when paused or empty.
if read_meta().paused == 1 then return {} end
local max_jobs, lease_ms, token_prefix, worker = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local popped = redis.call('ZPOPMIN', pending, max_jobs)
if #popped == 0 then return {} end
local now = now_ms()
local started = int(now)
local out = {started}
local leased = {}
local reserved = event_group(now, 'reserved', {'worker', worker})
for k = 1, #popped, 2 do
  local id = popped[k]
  local key = job_key(id)
  local f = redis.call('HMGET', key, 'spec', 'created_at', 'scheduled_at', 'error', 'stack', 'attempts', 'timeout')
  if f[1] then
    note_duration(now, 'wait', now - (tonumber(f[3]) or now))
    local attempts = (tonumber(f[6]) or 0) + 1
    local timeout = tonumber(f[7]) or 0
    local deadline = now + lease_ms
    local cap = 0
    if timeout > 0 then
      cap = now + timeout
      if deadline > cap then deadline = cap end
    end
    local token = token_prefix .. '.' .. attempts
    redis.call('HSET', key, 'state', 'active', 'attempts', attempts, 'started_at', started,
      'lease', token, 'lease_deadline', int(deadline))
    -- A new attempt runs wherever its worker's beats say, not where the last one ran.
    redis.call('HDEL', key, 'node')
    -- Only jobs with a timeout have an attempt deadline; each reservation rewrites it.
    if cap > 0 and worker ~= '' then
      redis.call('HSET', key, 'attempt_deadline', int(cap), 'worker', worker)
    elseif cap > 0 then
      redis.call('HSET', key, 'attempt_deadline', int(cap))
    elseif worker ~= '' then
      redis.call('HSET', key, 'worker', worker)
    end
    leased[#leased + 1] = int(deadline)
    leased[#leased + 1] = id
    add_event(reserved, id, attempts, int(deadline))
    out[#out + 1] = {f[1], f[2], f[3], f[4] or '', f[5] or '', attempts, token, int(deadline)}
  end
end
zadd_all(active, leased)
tally('pending', -(#popped / 2))
tally('active', #leased / 2)
note_pending_head()
save_meta()
return out
