-- ARGV: base, operation id, status ('cancelled' or 'failed'), error. Stops a running operation;
-- the chunk in hand finds it stopped. Returns 1 when it was running.
local key = op_key(ARGV[2])
if redis.call('HGET', key, 'status') ~= 'running' then return 0 end
redis.call('HSET', key, 'status', ARGV[3], 'error', ARGV[4], 'finished_at', int(now_ms()), 'owner', '')
return 1
