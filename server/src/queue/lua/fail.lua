-- ARGV: base, id, lease token, error, stack trace, retryable (1/0), jitter in [0, 1).
-- Returns {'stale'} or {state, when_ms}. A job whose cancellation was requested ends cancelled.
local id, token = ARGV[2], ARGV[3]
local key = job_key(id)
local f = redis.call('HMGET', key, 'state', 'lease', 'cancel_requested')
if f[1] ~= 'active' or f[2] ~= token then return {'stale'} end
local now = now_ms()
redis.call('ZREM', active, id)
tally('active', -1)
local state, when = 'cancelled', now
if f[3] == '1' then
  cancel_attempt(key, id, now, ARGV[4], ARGV[5])
else
  note_failed_attempt(now, key)
  state, when = fail_attempt('failed', key, id, now, ARGV[4], ARGV[5], ARGV[6] == '1', tonumber(ARGV[7]))
  tally(state, 1)
end
save_meta()
return {state, int(when)}
