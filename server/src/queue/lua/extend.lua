-- ARGV: base, id, lease token, extension ms. Returns {'stale'} or {'ok', deadline_ms, capped,
-- cancel requested (1/0), cancel reason}.
local id, token, extension = ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = job_key(id)
local f = redis.call('HMGET', key, 'state', 'lease', 'attempt_deadline', 'cancel_requested', 'cancel_reason', 'attempts')
if f[1] ~= 'active' or f[2] ~= token then return {'stale'} end
local now = now_ms()
local deadline = now + extension
local cap = tonumber(f[3] or '0')
local capped = 0
if cap > 0 and deadline >= cap then
  deadline = cap
  capped = 1
end
redis.call('HSET', key, 'lease_deadline', int(deadline))
redis.call('ZADD', active, 'XX', int(deadline), id)
add_event(event_group(now, 'lease_extended', {}), id, f[6] or '0', int(deadline))
flush_events()
local requested = 0
if f[4] == '1' then requested = 1 end
return {'ok', int(deadline), capped, requested, f[5] or ''}
