-- ARGV: base, operation id, limit, then optionally the only hash fields to read (see read_job).
-- The next page of the walk, for an operation whose filter is evaluated by the server:
-- {state_index, cursor id, at_end (1/0), {id, score, job hash}...} or {} when it is not running.
local key = op_key(ARGV[2])
local wanted = {}
for k = 4, #ARGV do wanted[#wanted + 1] = ARGV[k] end
local f = redis.call('HMGET', key, 'status', 'states', 'state_index', 'bound', 'cursor_id',
  'cursor_score')
if f[1] ~= 'running' then return {} end
local state = words(f[2])[tonumber(f[3])]
local page, at_end = walk_page(STATE_SETS[state], f[5], f[6], f[4], tonumber(ARGV[3]))
local out = {f[3], f[5], at_end and 1 or 0}
for _, entry in ipairs(page) do
  out[#out + 1] = {entry[1], entry[2], read_job(entry[1], wanted)}
end
return out
