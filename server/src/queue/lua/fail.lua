-- ARGV: base, id, lease token, error, stack trace, retryable (1/0), jitter in [0, 1).
-- Returns {'stale'} or {state, when_ms}.
local id, token = ARGV[2], ARGV[3]
local key = job_key(id)
local f = redis.call('HMGET', key, 'state', 'lease')
if f[1] ~= 'active' or f[2] ~= token then return {'stale'} end
local now = now_ms()
redis.call('ZREM', active, id)
local state, when = fail_attempt(key, id, now, ARGV[4], ARGV[5], ARGV[6] == '1', tonumber(ARGV[7]))
note_failed_attempt(now, key)
tally('active', -1)
tally(state, 1)
save_meta()
return {state, int(when)}
