-- One chunk of a bulk operation, fenced by the holder's id so two replicas never work the same
-- chunk, and moving the walk's position in the same step as the jobs it acted on, so a chunk
-- is applied once however often a replica dies.
-- ARGV: base, operation id, owner, lease ms, mode, then
--   mode 'all' (no filter): chunk size;
--   mode 'ids' (filter evaluated by the caller on a page from bulk_read.lua): the state index
--   and cursor id the page was read at, jobs examined, at_end (1/0), the last examined job
--   (id, score), the last examined job that did not match (id, score; '' '' for none), then
--   the matched jobs as id, score pairs: a job whose score changed since it was read has moved
--   and come back, so what matched is stale, and it is skipped.
-- Returns {'ok', finished (1/0), woke (1/0), deleted id...}, {'stopped'} (not running), {'lost'} (another replica
-- holds it) or {'moved'} (the walk moved since the page was read).
local key = op_key(ARGV[2])
local f = redis.call('HMGET', key, 'status', 'owner', 'action', 'states', 'state_index', 'bound',
  'cursor_id', 'cursor_score', 'reason', 'actor')
if f[1] ~= 'running' then return {'stopped'} end
if f[2] ~= ARGV[3] then return {'lost'} end
local action, states, state_index, bound = f[3], words(f[4]), tonumber(f[5]), f[6]
local cursor_id, cursor_score, reason = f[7], f[8], f[9]
local state = states[state_index]
local set = STATE_SETS[state]
local now = now_ms()
local batch = new_action_batch(f[10] or '', ARGV[2])
-- Half of the few milliseconds a call may take: the deferred set changes cost about as much.
local TIME_BUDGET_MS = 2

local examined, at_end, matched = 0, false, {}
local last_id, last_score = '', ''
-- Jobs the walk leaves in the set; the last of them becomes the cursor.
local kept = {}
local done, skipped = 0, 0
local function act(id, score)
  local outcome = act_on_job(batch, action, id, state, reason, now)
  if outcome == 'done' or outcome == 'requested' then done = done + 1 else skipped = skipped + 1 end
  if outcome ~= 'done' then kept[#kept + 1] = {id, score} end
end

if ARGV[5] == 'all' then
  local page
  page, at_end = walk_page(set, cursor_id, cursor_score, bound, tonumber(ARGV[6]))
  -- Stops early on a busy Redis, so no call holds it for long whatever the chunk size.
  for n, entry in ipairs(page) do
    if n % 25 == 0 and now_ms() - now >= TIME_BUDGET_MS then
      at_end = false
      break
    end
    matched[#matched + 1] = entry[1]
    act(entry[1], entry[2])
    examined, last_id, last_score = n, entry[1], entry[2]
  end
else
  if tonumber(ARGV[6]) ~= state_index or ARGV[7] ~= cursor_id then return {'moved'} end
  examined, at_end = tonumber(ARGV[8]), ARGV[9] == '1'
  last_id, last_score = ARGV[10], ARGV[11]
  if ARGV[12] ~= '' then kept[#kept + 1] = {ARGV[12], ARGV[13]} end
  for k = 14, #ARGV, 2 do
    local id, read_score = ARGV[k], ARGV[k + 1]
    matched[#matched + 1] = id
    local score = redis.call('ZSCORE', set, id)
    if score and tonumber(score) == tonumber(read_score) then
      act(id, read_score)
    else
      skipped = skipped + 1
    end
  end
end
finish_actions(batch, now)

-- The new cursor: the furthest job left in the set at the score it was seen with (by rank, as
-- Redis orders ties); else the old cursor while it stays put; else the last job examined,
-- which sends the next page back to the first job of its score.
local function in_place(id, score)
  local now_score = redis.call('ZSCORE', set, id)
  return now_score and tonumber(now_score) == tonumber(score)
end
local new_id, new_score, new_rank = '', '', -1
for _, entry in ipairs(kept) do
  if in_place(entry[1], entry[2]) then
    local rank = redis.call('ZRANK', set, entry[1])
    if rank > new_rank then new_id, new_score, new_rank = entry[1], entry[2], rank end
  end
end
if new_id == '' then
  if cursor_id ~= '' and in_place(cursor_id, cursor_score) then
    new_id, new_score = cursor_id, cursor_score
  else
    new_id, new_score = last_id, last_score
  end
end

redis.call('HINCRBY', key, 'examined', examined)
redis.call('HINCRBY', key, 'matched', #matched)
redis.call('HINCRBY', key, 'done', done)
redis.call('HINCRBY', key, 'skipped', skipped)
local finished = 0
if at_end then
  if state_index < #states then
    redis.call('HSET', key, 'state_index', state_index + 1, 'bound', walk_bound(states[state_index + 1]),
      'cursor_id', '', 'cursor_score', '')
  else
    redis.call('HSET', key, 'status', 'succeeded', 'finished_at', int(now), 'owner', '')
    finished = 1
  end
else
  redis.call('HSET', key, 'cursor_id', new_id, 'cursor_score', new_score)
end
redis.call('HSET', key, 'updated_at', int(now), 'owner_until', int(now + tonumber(ARGV[4])))
local out = {'ok', finished, batch.woke and 1 or 0}
for _, id in ipairs(batch.deleted) do out[#out + 1] = id end
return out
