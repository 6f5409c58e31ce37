-- ARGV: base, count, then per job: id, new id (1 when the server made it, so it cannot exist),
-- unique_key, unique_ttl_ms, run_at_ms (0 = now), delay_ms, priority, field count n, then n
-- field/value pairs for the job hash.
-- Returns per job {id, state, duplicate (0/1), created_at_ms, scheduled_at_ms}; the times are
-- empty for duplicates.
local now = now_ms()
local created = int(now)
local count = tonumber(ARGV[2])
local i = 3
local out = {}
local ready, later = {}, {}
for _ = 1, count do
  local id, fresh, unique_key = ARGV[i], ARGV[i + 1] == '1', ARGV[i + 2]
  local unique_ttl, run_at, delay = ARGV[i + 3], tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
  local priority, nfields = tonumber(ARGV[i + 6]), tonumber(ARGV[i + 7])
  local first = i + 8
  i = first + nfields * 2
  if delay > 0 then run_at = now + delay end
  local key = job_key(id)
  local existing
  if not fresh and redis.call('EXISTS', key) == 1 then
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
    local state, due
    if run_at > now then
      state, due = 'scheduled', int(run_at)
      later[#later + 1] = due
      later[#later + 1] = id
    else
      state, due = 'pending', created
      ready[#ready + 1] = int(pending_score(priority, now))
      ready[#ready + 1] = id
    end
    redis.call('HSET', key, 'state', state, 'created_at', created, 'scheduled_at', due,
      unpack(ARGV, first, first + nfields * 2 - 1))
    out[#out + 1] = {id, state, 0, created, due}
  end
end
zadd_all(pending, ready)
zadd_all(scheduled, later)
if #ready > 0 then
  tally('pending', #ready / 2)
  note_pending_head()
end
if #later > 0 then tally('scheduled', #later / 2) end
save_meta()
return out
