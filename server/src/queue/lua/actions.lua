-- Operator actions on single jobs, shared by act.lua (one job or a batch) and bulk.lua (a chunk
-- of a bulk operation). Requires the prelude.

local STATE_SETS = {pending = pending, scheduled = scheduled, retry = retry, active = active,
  dead = dead, completed = completed, cancelled = cancelled}

-- Which states each action accepts.
local ACTION_FROM = {
  retry = {dead = true, retry = true, scheduled = true},
  promote = {scheduled = true, retry = true},
  delete = {pending = true, scheduled = true, retry = true, dead = true, completed = true,
    cancelled = true},
  cancel = {pending = true, scheduled = true, retry = true, active = true},
}

local function tally_state(state, delta)
  if state == 'cancelled' then
    local m = read_meta()
    m.cancelled = m.cancelled + delta
  else
    tally(state, delta)
  end
end

-- What a run of actions changed, applied once at its end by finish_actions(): set changes go
-- in one ZREM per set and one ZADD per set, which costs Redis far less than a call per job.
-- `actor` asked for the run, on behalf of bulk operation `op` ('' for none).
local function new_action_batch(actor, op)
  return {pending_changed = false, woke = false, deleted = {}, removed = {}, to_pending = {},
    to_cancelled = {}, actor = actor, op = op, events = {}}
end

-- The batch's event group of a kind, all with the batch's actor and operation.
local function action_events(batch, now, kind, reason)
  local group = batch.events[kind]
  if not group then
    group = event_group(now, kind, {'actor', batch.actor, 'op', batch.op, 'reason', reason})
    batch.events[kind] = group
  end
  return group
end

local function note_removed(batch, state, id)
  local ids = batch.removed[state]
  if not ids then
    ids = {}
    batch.removed[state] = ids
  end
  ids[#ids + 1] = id
end

-- Applies `action` to one job. `expect` ('' for any) refuses a job in another state, so a bulk
-- chunk never touches a job that moved since it was matched. The batch's `op` ('' for none) is
-- the bulk operation acting: a job it already moved once (and that came back, say by failing
-- again) is refused, so no operation acts on a job twice. Returns an outcome ('done', 'requested',
-- 'not_found' or 'wrong_state') and the job's state after the action, or the state that
-- refused it.
local function act_on_job(batch, action, id, expect, reason, now)
  local op = batch.op
  local key = job_key(id)
  local f = redis.call('HMGET', key, 'state', 'priority', 'unique_key', 'bulk_op', 'attempts',
    'unique_ttl')
  local state = f[1]
  if not state then return 'not_found', '' end
  if (expect ~= '' and state ~= expect) or not ACTION_FROM[action][state]
      or (op ~= '' and f[4] == op) then
    return 'wrong_state', state
  end
  if action == 'cancel' and state == 'active' then
    redis.call('HSET', key, 'cancel_requested', '1', 'cancel_reason', reason)
    add_event(action_events(batch, now, 'cancel_requested', reason), id, f[5] or '0')
    return 'requested', 'active'
  end
  note_removed(batch, state, id)
  tally_state(state, -1)
  if state == 'pending' then batch.pending_changed = true end
  if action == 'retry' or action == 'promote' then
    local moved = batch.to_pending
    moved[#moved + 1] = int(pending_score(tonumber(f[2] or '0'), now))
    moved[#moved + 1] = id
    -- A job that died and runs again is no longer finished: finished_at '' reads as unset.
    if action == 'retry' then
      redis.call('HSET', key, 'state', 'pending', 'scheduled_at', int(now), 'attempts', '0',
        'finished_at', '', 'bulk_op', op)
      -- Dying released the key; jobs from before unique_ttl was kept get the default 24 h.
      if state == 'dead' then retake_unique(id, f[3], tonumber(f[6] or '86400000')) end
      note_metric(now, 'retried', 1)
      add_event(action_events(batch, now, 'retried', ''), id, '0')
    else
      redis.call('HSET', key, 'state', 'pending', 'scheduled_at', int(now), 'finished_at', '',
        'bulk_op', op)
      add_event(action_events(batch, now, 'promoted', ''), id, f[5] or '0')
    end
    tally('pending', 1)
    batch.pending_changed, batch.woke = true, true
    return 'done', 'pending'
  end
  release_unique(id, f[3])
  if action == 'delete' then
    -- Kept as a tomb until archived; the id is free again at once.
    redis.call('RENAME', key, base .. 'gone:' .. int(now) .. ':' .. id)
    batch.deleted[#batch.deleted + 1] = id
    add_event(action_events(batch, now, 'deleted', ''), id, f[5] or '0')
    return 'done', ''
  end
  redis.call('HSET', key, 'state', 'cancelled', 'finished_at', int(now), 'cancel_reason', reason)
  batch.to_cancelled[#batch.to_cancelled + 1] = int(now)
  batch.to_cancelled[#batch.to_cancelled + 1] = id
  tally_state('cancelled', 1)
  add_event(action_events(batch, now, 'cancelled', reason), id, f[5] or '0')
  return 'done', 'cancelled'
end

-- Records what the batch did: events for the archive, the pending head, the counts.
local function finish_actions(batch, now)
  for state, ids in pairs(batch.removed) do redis.call('ZREM', STATE_SETS[state], unpack(ids)) end
  zadd_all(pending, batch.to_pending)
  zadd_all(cancelled, batch.to_cancelled)
  if batch.pending_changed then note_pending_head() end
  save_meta()
end
