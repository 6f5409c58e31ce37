-- ARGV: base, node id, lease ms, then (job id, lease token) pairs (at most 1,000). For each job:
-- {'extended', deadline_ms, cancel requested (1/0), reason} when its lease token is current,
-- {'shown', '', cancel, reason} when listed without a token while active, {'stale'} otherwise.
-- An extension never shortens a lease and never passes the attempt's timeout cap.
local node, lease_ms = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local results = {}
for i = 4, #ARGV - 1, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local key = job_key(id)
  local f = redis.call('HMGET', key, 'state', 'lease', 'attempt_deadline', 'cancel_requested', 'cancel_reason', 'lease_deadline')
  local cancel = '0'
  if f[4] == '1' then cancel = '1' end
  if f[1] ~= 'active' then
    results[#results + 1] = {'stale'}
  elseif token == '' then
    redis.call('HSET', key, 'node', node)
    results[#results + 1] = {'shown', '', cancel, f[5] or ''}
  elseif f[2] ~= token then
    results[#results + 1] = {'stale'}
  else
    local deadline = now + lease_ms
    local cap = tonumber(f[3] or '0')
    if cap > 0 and deadline > cap then deadline = cap end
    local current = tonumber(f[6] or '0')
    if current > deadline then deadline = current end
    redis.call('HSET', key, 'lease_deadline', int(deadline), 'node', node)
    redis.call('ZADD', active, 'XX', int(deadline), id)
    results[#results + 1] = {'extended', int(deadline), cancel, f[5] or ''}
  end
end
return results
