-- ARGV: base, count, actor, then per job: id, options, unique_key, retry, spec, extra field count n,
-- then n field/value pairs for the hash (priority, timeout, unique_key when set). options is ''
-- for the common case (a server-made id, no unique key, ready now, priority 0), else
-- "fresh unique_ttl_ms run_at_ms delay_ms priority" (fresh 1 when the server made the id).
-- Returns {now_ms, {index, existing id, its state}...}: the duplicates only; every other job was
-- written, as scheduled when its run-at is after now_ms, else pending.
local now = now_ms()
local created = int(now)
local count = tonumber(ARGV[2])
local i = 4
local out = {now}
local ready, later = {}, {}
local enqueued_pending = event_group(now, 'enqueued', {'state', 'pending', 'actor', ARGV[3]})
local enqueued_scheduled = event_group(now, 'enqueued', {'state', 'scheduled', 'actor', ARGV[3]})
local scores = {}
for n = 1, count do
  local id, options, unique_key, retry_policy, spec = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local nextra = tonumber(ARGV[i + 5])
  local first = i + 6
  i = first + nextra * 2
  local fresh, unique_ttl, run_at, priority = true, 0, 0, 0
  if options ~= '' then
    local f, t, r, d, p = string.match(options, '(%d) (%d+) (%-?%d+) (%d+) (%-?%d+)')
    fresh, unique_ttl, run_at, priority = f == '1', t, tonumber(r), tonumber(p)
    if tonumber(d) > 0 then run_at = now + tonumber(d) end
  end
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
    out[#out + 1] = {n, existing, redis.call('HGET', job_key(existing), 'state')}
  else
    local state, due
    if run_at > now then
      state, due = 'scheduled', int(run_at)
      later[#later + 1] = due
      later[#later + 1] = id
      add_event(enqueued_scheduled, id, nil, due)
    else
      state, due = 'pending', created
      local score = scores[priority]
      if not score then
        score = int(pending_score(priority, now))
        scores[priority] = score
      end
      ready[#ready + 1] = score
      ready[#ready + 1] = id
      add_event(enqueued_pending, id)
    end
    redis.call('HSET', key, 'state', state, 'created_at', created, 'scheduled_at', due,
      'retry', retry_policy, 'spec', spec, unpack(ARGV, first, first + nextra * 2 - 1))
  end
end
zadd_all(pending, ready)
zadd_all(scheduled, later)
if #ready > 0 then
  tally('pending', #ready / 2)
  note_pending_head()
end
if #later > 0 then tally('scheduled', #later / 2) end
note_metric(now, 'enqueued', (#ready + #later) / 2)
save_meta()
return out
