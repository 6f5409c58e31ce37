-- ARGV: base, count, then per job: id, unique_key, unique_ttl_ms, run_at_ms (0 = now), delay_ms,
-- priority, field count n, then n field/value pairs for the job hash.
-- Returns per job {id, state, duplicate (0/1), created_at_ms, scheduled_at_ms}; the times are
-- empty for duplicates.
local now = now_ms()
local count = tonumber(ARGV[2])
local i = 3
local out = {}
local added_pending, added_scheduled = 0, 0
for _ = 1, count do
  local id, unique_key = ARGV[i], ARGV[i + 1]
  local unique_ttl, run_at, delay = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  local priority, nfields = tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6])
  local first = i + 7
  if delay > 0 then run_at = now + delay end
  i = first + nfields * 2
  local key = job_key(id)
  local existing
  if redis.call('EXISTS', key) == 1 then
    existing = id
  elseif unique_key ~= '' then
    local uk = base .. 'unique:' .. unique_key
    local holder = redis.call('GET', uk)
    if holder then
      local state = redis.call('HGET', job_key(holder), 'state')
      if state and state ~= 'completed' and state ~= 'dead' and state ~= 'cancelled' then
        existing = holder
      end
    end
    if not existing then redis.call('SET', uk, id, 'PX', unique_ttl) end
  end
  if existing then
    out[#out + 1] = {existing, redis.call('HGET', job_key(existing), 'state'), 1, '', ''}
  else
    local state = 'pending'
    if run_at > now then
      state = 'scheduled'
      redis.call('ZADD', scheduled, int(run_at), id)
      added_scheduled = added_scheduled + 1
    else
      run_at = now
      redis.call('ZADD', pending, int(pending_score(priority, now)), id)
      added_pending = added_pending + 1
    end
    redis.call('HSET', key, 'state', state, 'attempts', 0, 'created_at', int(now),
      'scheduled_at', int(run_at), unpack(ARGV, first, first + nfields * 2 - 1))
    out[#out + 1] = {id, state, 0, int(now), int(run_at)}
  end
end
if added_pending > 0 then redis.call('HINCRBY', meta, 'pending', added_pending) end
if added_scheduled > 0 then redis.call('HINCRBY', meta, 'scheduled', added_scheduled) end
return out
