-- ARGV: base, operation id, owner, lease ms. A replica takes a running operation whose holder's
-- lease ran out (or renews its own). Returns 1 when the caller now holds it.
local key = op_key(ARGV[2])
local f = redis.call('HMGET', key, 'status', 'owner', 'owner_until')
if f[1] ~= 'running' then return 0 end
local now = now_ms()
if f[2] ~= ARGV[3] and tonumber(f[3] or '0') > now then return 0 end
redis.call('HSET', key, 'owner', ARGV[3], 'owner_until', int(now + tonumber(ARGV[4])))
return 1
