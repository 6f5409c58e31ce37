-- ARGV: base, operation id, action, states (space-separated, in walking order), filter text,
-- reason, request id, actor. Creates the operation; returns its creation time (ms) and total.
local id, action, states, filter, reason = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
local m = read_meta()
local total = 0
for _, state in ipairs(words(states)) do total = total + (m[state] or 0) end
local first = words(states)[1]
redis.call('HSET', op_key(id), 'action', action, 'states', states, 'filter', filter, 'reason', reason,
  'status', 'running', 'state_index', 1, 'bound', walk_bound(first), 'cursor_id', '',
  'cursor_score', '', 'examined', 0, 'matched', 0, 'done', 0, 'skipped', 0, 'total', total,
  'created_at', int(now), 'updated_at', int(now), 'finished_at', '', 'error', '', 'owner', '',
  'owner_until', 0, 'request_id', ARGV[7], 'actor', ARGV[8])
redis.call('ZADD', base .. 'bulk-ops', int(now), id)
return {int(now), total}
