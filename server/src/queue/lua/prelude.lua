-- Shared by every queue script. KEYS are the queue's keys, all in one hash slot:
-- 1 meta (one string, see read_meta), 2 pending, 3 scheduled, 4 retry, 5 active, 6 dead,
-- 7 completed (sorted sets), 8 events (stream of lifecycle events), 9 cancelled (sorted set).
-- ARGV[1] is the queue's key base ("zenith:{q}:"), to which job hashes ("job:<id>"), unique
-- keys ("unique:<k>") and tombs of deleted jobs ("gone:<at ms>:<id>") belong.
local meta, pending, scheduled, retry, active, dead, completed, events, cancelled =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local base = ARGV[1]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Integers as exact decimal strings; tostring() would switch to exponent notation.
local function int(x)
  return string.format('%d', x)
end

-- Pending order: higher priority first, then earlier ready time (ms since 2025-01-01).
-- Priorities span -1000..1000 and each gets a 2^43 ms band, which stays within 2^53.
local function pending_score(priority, ready_ms)
  return -priority * 8796093022208 + (ready_ms - 1735689600000)
end

local function job_key(id)
  return base .. 'job:' .. id
end

-- A job's hash as {field, value, ...}: all of it, or only the `wanted` fields (which should
-- include 'state', so a job that is gone reads as {}).
local function read_job(id, wanted)
  if #wanted == 0 then return redis.call('HGETALL', job_key(id)) end
  local values = redis.call('HMGET', job_key(id), unpack(wanted))
  local fields = {}
  for i = 1, #wanted do
    if values[i] then
      fields[#fields + 1] = wanted[i]
      fields[#fields + 1] = values[i]
    end
  end
  return fields
end

-- Exponential backoff with the upper half jittered; jitter is in [0, 1).
local function backoff_ms(attempts, base_ms, max_ms, jitter)
  local delay = base_ms * 2 ^ (attempts - 1)
  if delay > max_ms then delay = max_ms end
  return math.floor(delay / 2 + jitter * delay / 2)
end

-- Takes a unique key for a job that runs again, unless another unfinished job holds it.
local function retake_unique(id, unique_key, ttl_ms)
  if not unique_key or unique_key == '' then return end
  local uk = base .. 'unique:' .. unique_key
  local holder = redis.call('GET', uk)
  if holder and holder ~= id then
    local state = redis.call('HGET', job_key(holder), 'state')
    if state and state ~= 'completed' and state ~= 'dead' and state ~= 'cancelled' then return end
  end
  redis.call('SET', uk, id, 'PX', ttl_ms)
end

local function release_unique(id, unique_key)
  if unique_key and unique_key ~= '' then
    local uk = base .. 'unique:' .. unique_key
    if redis.call('GET', uk) == id then redis.call('DEL', uk) end
  end
end

-- Lifecycle events, which the archiver moves into SQL. A script run adds at most one entry
-- to `events`, written by save_meta() or flush_events(): the field `at` (Redis time of the run,
-- ms), then one group of fields per kind of event, each group starting with `kind`:
--   kind     enqueued, reserved, lease_extended, failed, lease_expired, promoted, completed,
--            retried, cancel_requested, cancelled or deleted
--   ids      the jobs, space-separated
--   state    their state right after (failed and lease_expired: retry or dead; enqueued:
--            pending or scheduled)
--   attempt  one per id, space-separated: the attempt the event belongs to
--   due      one per id, ms: run-at (enqueued scheduled), lease deadline (reserved,
--            lease_extended), retry time (failed or lease_expired to retry)
--   actor    who asked (enqueue, operator actions); op: the bulk operation that acted
--   worker   the worker node (reserved); error (failed, lease_expired, cancelled); reason
--            (cancel_requested, cancelled)
-- Optional fields are left out when empty; a field name repeats once per group. A deleted
-- job's hash is renamed to the tomb "gone:<at>:<id>", which the archiver reads and deletes once
-- it has recorded the job. Archived entries are deleted, so the first entry is the oldest event
-- not yet archived.
local event_at
local event_groups = {}
local event_group_by = {}

-- The group of this run's events with these single-valued fields ({name, value, ...}; empty
-- values are left out); created on first use. Callers add ids (and attempt/due lists) to it.
local function event_group(now, kind, fields)
  event_at = event_at or now
  local key = kind .. '\0' .. table.concat(fields, '\0')
  local group = event_group_by[key]
  if not group then
    group = {kind = kind, fields = fields, ids = {}, attempt = {}, due = {}}
    event_group_by[key] = group
    event_groups[#event_groups + 1] = group
  end
  return group
end

local function add_event(group, id, attempt, due)
  local ids = group.ids
  ids[#ids + 1] = id
  if attempt then group.attempt[#group.attempt + 1] = attempt end
  if due then group.due[#group.due + 1] = due end
end

local function flush_events()
  if not event_at then return end
  local args = {'at', int(event_at)}
  for _, group in ipairs(event_groups) do
    if #group.ids > 0 then
      args[#args + 1] = 'kind'
      args[#args + 1] = group.kind
      args[#args + 1] = 'ids'
      args[#args + 1] = table.concat(group.ids, ' ')
      for i = 1, #group.fields, 2 do
        local value = group.fields[i + 1]
        if value and value ~= '' then
          args[#args + 1] = group.fields[i]
          args[#args + 1] = value
        end
      end
      if #group.attempt > 0 then
        args[#args + 1] = 'attempt'
        args[#args + 1] = table.concat(group.attempt, ' ')
      end
      if #group.due > 0 then
        args[#args + 1] = 'due'
        args[#args + 1] = table.concat(group.due, ' ')
      end
    end
  end
  if #args > 2 then redis.call('XADD', events, '*', unpack(args)) end
  event_at, event_groups, event_group_by = nil, {}, {}
end

-- The time of the oldest event not yet archived, or nil: jobs that finished since may not be
-- in the archive yet.
local function oldest_unarchived_ms()
  local first = redis.call('XRANGE', events, '-', '+', 'COUNT', 1)[1]
  if not first then return nil end
  local fields = first[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'at' then return tonumber(fields[i + 1]) end
  end
  return tonumber(string.match(first[1], '^(%d+)'))
end

-- Per-minute metrics of the queue, one hash per minute: "metrics:<minutes since the epoch>",
-- kept 49 h. Fields: enqueued, completed, failed, retried; and for the wait and run time
-- summaries, <kind>_n, <kind>_sum and <kind>_max (ms) and <kind>_b<k>, how many durations had k
-- binary digits (bucket k holds 2^(k-1) to 2^k - 1 ms, bucket 0 holds 0 ms). Scripts note what
-- happened as they go; save_meta() writes it all with one read and one write per run.
-- The same counts and duration sums also go into "totals", kept for good: monotonic counters
-- for Prometheus (maxes are left out, they do not add up).
local METRICS_TTL_S = 49 * 3600
local METRIC_BUCKETS = 32
local noted

local function noted_at(now)
  if not noted then
    noted = {minute = math.floor(now / 60000), counters = {}, durations = {}}
  end
  return noted
end

local function note_metric(now, counter, n)
  if n == 0 then return end
  local counters = noted_at(now).counters
  counters[counter] = (counters[counter] or 0) + n
end

-- Called once per job in batches of up to 1,000, so it does arithmetic only; field names are
-- made once per run in flush_metrics().
local function note_duration(now, kind, ms)
  if ms < 0 then ms = 0 end
  local durations = noted_at(now).durations
  local d = durations[kind]
  if not d then
    d = {n = 0, sum = 0, max = 0, buckets = {}}
    durations[kind] = d
  end
  local _, digits = math.frexp(ms)
  if digits >= METRIC_BUCKETS then digits = METRIC_BUCKETS - 1 end
  d.buckets[digits] = (d.buckets[digits] or 0) + 1
  d.n = d.n + 1
  d.sum = d.sum + ms
  if ms > d.max then d.max = ms end
end

-- An attempt that failed (by the worker or by its lease running out), with its run time.
local function note_failed_attempt(now, key)
  note_metric(now, 'failed', 1)
  note_duration(now, 'run', now - (tonumber(redis.call('HGET', key, 'started_at')) or now))
end

local function flush_metrics()
  if not noted then return end
  local key = base .. 'metrics:' .. int(noted.minute)
  -- Parallel lists: field, amount, and whether the amount is a max rather than an increment.
  local fields, amounts, maxes = {}, {}, {}
  local function add(field, amount, is_max)
    fields[#fields + 1], amounts[#amounts + 1], maxes[#maxes + 1] = field, amount, is_max
  end
  for counter, n in pairs(noted.counters) do add(counter, n, false) end
  for kind, d in pairs(noted.durations) do
    add(kind .. '_n', d.n, false)
    add(kind .. '_sum', d.sum, false)
    add(kind .. '_max', d.max, true)
    for digits, n in pairs(d.buckets) do add(kind .. '_b' .. digits, n, false) end
  end
  local old = redis.call('HMGET', key, unpack(fields))
  local values = {}
  for i, field in ipairs(fields) do
    local value = tonumber(old[i]) or 0
    if maxes[i] then value = math.max(value, amounts[i]) else value = value + amounts[i] end
    values[#values + 1] = field
    values[#values + 1] = int(value)
  end
  redis.call('HSET', key, unpack(values))
  redis.call('EXPIRE', key, METRICS_TTL_S)
  for i, field in ipairs(fields) do
    if not maxes[i] then redis.call('HINCRBY', base .. 'totals', field, amounts[i]) end
  end
  noted = nil
end

-- A queue's meta is one string, "pending scheduled active retry dead completed paused head
-- cancelled", so listing a thousand queues reads a thousand values. head is the score of the
-- first pending job, or '-'. Scripts change the loaded copy and write it back once with
-- save_meta().
local COUNTED = {'pending', 'scheduled', 'active', 'retry', 'dead', 'completed'}
local loaded_meta

local function read_meta()
  if loaded_meta then return loaded_meta end
  local m = {paused = 0, head = '-', cancelled = 0}
  for _, state in ipairs(COUNTED) do m[state] = 0 end
  local raw = redis.call('GET', meta)
  if raw then
    local words = {}
    for word in string.gmatch(raw, '%S+') do words[#words + 1] = word end
    for i, state in ipairs(COUNTED) do m[state] = tonumber(words[i]) end
    m.paused, m.head = tonumber(words[7]), words[8]
    m.cancelled = tonumber(words[9] or '0')
  end
  loaded_meta = m
  return m
end

local function tally(state, delta)
  local m = read_meta()
  m[state] = m[state] + delta
end

local function save_meta()
  flush_metrics()
  flush_events()
  local m = loaded_meta
  if not m then return end
  redis.call('SET', meta, string.format('%d %d %d %d %d %d %d %s %d', m.pending, m.scheduled,
    m.active, m.retry, m.dead, m.completed, m.paused, m.head, m.cancelled))
end

-- Keeps the score of the first pending job in meta; called once per run that changed `pending`.
local function note_pending_head()
  local head = redis.call('ZRANGE', pending, 0, 0, 'WITHSCORES')
  local m = read_meta()
  if #head > 0 then m.head = int(tonumber(head[2])) else m.head = '-' end
end

-- Adds members to a sorted set from a flat {score, member, ...} list in one call.
local function zadd_all(set, pairs)
  if #pairs > 0 then redis.call('ZADD', set, unpack(pairs)) end
end

-- Ends an attempt that failed (`kind` failed or lease_expired): retry after backoff while
-- attempts remain and the failure is retryable, else dead. The caller takes the job out of
-- `active` and fixes the counts. Lease fields stay behind; they mean nothing once the state is
-- not active.
local function fail_attempt(kind, key, id, now, err, stack, retryable, jitter)
  local f = redis.call('HMGET', key, 'attempts', 'retry', 'unique_key')
  local attempts = tonumber(f[1])
  local max_attempts, base_ms, max_ms = string.match(f[2], '(%d+):(%d+):(%d+)')
  if retryable and attempts < tonumber(max_attempts) then
    local due = now + backoff_ms(attempts, tonumber(base_ms), tonumber(max_ms), jitter)
    redis.call('HSET', key, 'state', 'retry', 'error', err, 'stack', stack, 'scheduled_at', int(due))
    redis.call('ZADD', retry, int(due), id)
    add_event(event_group(now, kind, {'state', 'retry', 'error', err}), id, f[1] or '0', int(due))
    return 'retry', due
  end
  redis.call('HSET', key, 'state', 'dead', 'error', err, 'stack', stack, 'finished_at', int(now))
  redis.call('ZADD', dead, int(now), id)
  release_unique(id, f[3])
  add_event(event_group(now, kind, {'state', 'dead', 'error', err}), id, f[1] or '0')
  return 'dead', now
end

-- Ends an attempt whose worker was asked to stop (see act_on_job): the job is cancelled, keeping
-- its cancel_reason. The caller takes the job out of `active` and fixes the active count.
local function cancel_attempt(key, id, now, err, stack)
  local f = redis.call('HMGET', key, 'unique_key', 'cancel_reason', 'attempts')
  redis.call('HSET', key, 'state', 'cancelled', 'error', err, 'stack', stack, 'finished_at', int(now))
  redis.call('ZADD', cancelled, int(now), id)
  release_unique(id, f[1])
  tally('cancelled', 1)
  add_event(event_group(now, 'cancelled', {'error', err, 'reason', f[2] or ''}), id, f[3] or '0')
end
