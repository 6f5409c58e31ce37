-- ARGV: base, state, limit, newest first (1/0), cursor id ('' for the first page), cursor score,
-- then optionally the only hash fields to read (see read_job).
-- Returns {{id, score, job hash}...}, at most limit + 1 entries so the caller knows if more follow;
-- a job whose hash is gone comes with an empty one, so it still counts for paging.
local sets = {pending = pending, scheduled = scheduled, retry = retry, active = active, dead = dead,
  completed = completed, cancelled = cancelled}
local set = sets[ARGV[2]]
local wanted = {}
for k = 7, #ARGV do wanted[#wanted + 1] = ARGV[k] end
local limit, newest, cursor, cursor_score = tonumber(ARGV[3]), ARGV[4] == '1', ARGV[5], ARGV[6]
local start = 0
if cursor ~= '' then
  local rank
  if newest then rank = redis.call('ZREVRANK', set, cursor) else rank = redis.call('ZRANK', set, cursor) end
  if rank then
    start = rank + 1
  elseif newest then
    -- The cursor's job has left the set: resume after every job at or past its score.
    start = redis.call('ZCOUNT', set, cursor_score, '+inf')
  else
    start = redis.call('ZCOUNT', set, '-inf', cursor_score)
  end
end
local page
if newest then
  page = redis.call('ZRANGE', set, start, start + limit, 'REV', 'WITHSCORES')
else
  page = redis.call('ZRANGE', set, start, start + limit, 'WITHSCORES')
end
local out = {}
for k = 1, #page, 2 do
  out[#out + 1] = {page[k], page[k + 1], read_job(page[k], wanted)}
end
return out
