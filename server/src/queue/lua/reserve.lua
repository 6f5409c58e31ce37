-- ARGV: base, max jobs, lease ms, token prefix, worker id.
-- Returns {now_ms, {job hash before reserving, attempts, lease token, lease deadline ms}...};
-- nothing when paused or empty.
if read_meta().paused == 1 then return {} end
local max_jobs, lease_ms, token_prefix, worker = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local popped = redis.call('ZPOPMIN', pending, max_jobs)
if #popped == 0 then return {} end
local now = now_ms()
local started = int(now)
local out = {started}
local leased = {}
for k = 1, #popped, 2 do
  local id = popped[k]
  local key = job_key(id)
  local fields = redis.call('HGETALL', key)
  if #fields > 0 then
    local attempts, timeout = 0, 0
    for f = 1, #fields, 2 do
      local name = fields[f]
      if name == 'attempts' then attempts = tonumber(fields[f + 1])
      elseif name == 'timeout' then timeout = tonumber(fields[f + 1]) end
    end
    attempts = attempts + 1
    local deadline = now + lease_ms
    local cap = 0
    if timeout > 0 then
      cap = now + timeout
      if deadline > cap then deadline = cap end
    end
    local token = token_prefix .. '.' .. attempts
    redis.call('HSET', key, 'state', 'active', 'attempts', attempts, 'started_at', started,
      'lease', token, 'lease_deadline', int(deadline), 'attempt_deadline', int(cap), 'worker', worker)
    leased[#leased + 1] = int(deadline)
    leased[#leased + 1] = id
    out[#out + 1] = {fields, attempts, token, int(deadline)}
  end
end
zadd_all(active, leased)
tally('pending', -(#popped / 2))
tally('active', #leased / 2)
note_pending_head()
save_meta()
return out
