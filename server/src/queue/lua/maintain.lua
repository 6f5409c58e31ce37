-- Promotes due scheduled and retry jobs, ends expired leases, and drops completed and cancelled
-- jobs past retention once archived, at most `limit` of each per call.
-- ARGV: base, limit, jitter seed (integer below 2^20), completed retention ms (for cancelled
-- jobs too), prune (1/0).
-- Returns {promoted, expired, more (1 when a limit was hit), pruned id...}.
local limit, seed, retention, prune = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local now = now_ms()
local more = 0
local promoted = 0
for _, from in ipairs({{scheduled, 'scheduled'}, {retry, 'retry'}}) do
  local due = redis.call('ZRANGE', from[1], '-inf', int(now), 'BYSCORE', 'LIMIT', 0, limit)
  if #due == limit then more = 1 end
  local moved = {}
  local promoted_events = event_group(now, 'promoted', {})
  for _, id in ipairs(due) do
    local key = job_key(id)
    local priority = tonumber(redis.call('HGET', key, 'priority') or '0')
    moved[#moved + 1] = int(pending_score(priority, now))
    moved[#moved + 1] = id
    redis.call('HSET', key, 'state', 'pending', 'scheduled_at', int(now))
    add_event(promoted_events, id)
  end
  if #due > 0 then
    redis.call('ZREM', from[1], unpack(due))
    zadd_all(pending, moved)
    tally(from[2], -#due)
    tally('pending', #due)
    promoted = promoted + #due
  end
end

if promoted > 0 then note_pending_head() end

local expired = redis.call('ZRANGE', active, '-inf', int(now), 'BYSCORE', 'LIMIT', 0, limit)
if #expired == limit then more = 1 end
local to_retry, to_dead = 0, 0
if #expired > 0 then redis.call('ZREM', active, unpack(expired)) end
for n, id in ipairs(expired) do
  local key = job_key(id)
  local f = redis.call('HMGET', key, 'attempt_deadline', 'cancel_requested')
  if f[2] == '1' then
    -- Asked to stop and then gone quiet: the cancellation stands, no retry.
    cancel_attempt(key, id, now, 'lease expired after cancellation was requested', '')
  else
    local cap = tonumber(f[1] or '0')
    local err = 'lease expired: the worker stopped extending it'
    if cap > 0 and now >= cap then err = 'timed out: the attempt ran past the job timeout' end
    local jitter = ((seed * 7919 + n * 104729) % 1000) / 1000
    note_failed_attempt(now, key)
    local state = fail_attempt('lease_expired', key, id, now, err, '', true, jitter)
    if state == 'retry' then to_retry = to_retry + 1 else to_dead = to_dead + 1 end
  end
end
if #expired > 0 then
  tally('active', -#expired)
  tally('retry', to_retry)
  tally('dead', to_dead)
end

local out = {promoted, #expired, 0}
if prune then
  -- A job that finished after the oldest unarchived event may not be archived yet: it stays.
  local cutoff = int(now - retention)
  local unarchived = oldest_unarchived_ms()
  if unarchived and unarchived <= now - retention then cutoff = '(' .. int(unarchived) end
  for _, finished in ipairs({{completed, 'completed'}, {cancelled, 'cancelled'}}) do
    local old = redis.call('ZRANGE', finished[1], '-inf', cutoff, 'BYSCORE', 'LIMIT', 0, limit)
    if #old == limit then more = 1 end
    for _, id in ipairs(old) do
      redis.call('DEL', job_key(id))
      out[#out + 1] = id
    end
    if #old > 0 then
      redis.call('ZREM', finished[1], unpack(old))
      tally(finished[2], -#old)
    end
  end
end
out[3] = more
save_meta()
return out
