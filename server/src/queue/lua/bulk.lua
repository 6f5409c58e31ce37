-- Bulk operations, on the queue's own keys: an operation is the hash `bulk:<id>` (status,
-- action, the states to walk, the walk's position, counters, and the replica holding it), and
-- `bulk-ops` indexes the queue's operations by creation time. Requires the prelude and actions.

local function op_key(id)
  return base .. 'bulk:' .. id
end

local function words(text)
  local out = {}
  for word in string.gmatch(text, '%S+') do out[#out + 1] = word end
  return out
end

-- The last score the walk of a state may reach: jobs that arrive later with a higher score
-- (a job that died again after its retry, say) are left alone. '' when the set is empty.
local function walk_bound(state)
  local last = redis.call('ZRANGE', STATE_SETS[state], -1, -1, 'WITHSCORES')
  if #last == 0 then return '' end
  return last[2]
end

-- Up to `limit` members of `set` after the cursor and within the bound, as {id, score} pairs.
-- The cursor is a job the walk left in the set, at the score it had then; when it has gone or
-- moved meanwhile, the walk goes back to the first job of that score, so a job is looked at
-- again rather than skipped.
local function walk_page(set, cursor_id, cursor_score, bound, limit)
  if bound == '' then return {}, true end
  local start = 0
  if cursor_id ~= '' then
    local score = redis.call('ZSCORE', set, cursor_id)
    if score and tonumber(score) == tonumber(cursor_score) then
      start = redis.call('ZRANK', set, cursor_id) + 1
    else
      start = redis.call('ZCOUNT', set, '-inf', '(' .. cursor_score)
    end
  end
  local raw = redis.call('ZRANGE', set, start, start + limit - 1, 'WITHSCORES')
  local page = {}
  local bound_n = tonumber(bound)
  for k = 1, #raw, 2 do
    if tonumber(raw[k + 1]) > bound_n then return page, true end
    page[#page + 1] = {raw[k], raw[k + 1]}
  end
  return page, #raw < limit * 2
end
