-- KEYS[1]: the node's bookkeeping hash. ARGV: registry score of the beat, transport, interval
-- ms, the beat in the proto3 JSON mapping, ms to keep the hash (TTL + lost-node retention).
-- Records a beat once per registry score, by Redis's clock, so replicas agree and a restart
-- loses nothing. Returns {recorded (1/0), first seen ms, last seen ms, transport, interval ms,
-- quiet requested (1/0), instruction: 'quiet', 'resume' or ''}.
local key, score = KEYS[1], ARGV[1]
local f = redis.call('HMGET', key, 'score', 'first_seen', 'last_seen', 'transport', 'interval_ms', 'quiet_requested', 'quiet_sent')
local quiet = f[6] or '0'
if f[1] and tonumber(f[1]) == tonumber(score) then
  return {'0', f[2] or '0', f[3] or '0', f[4] or '', f[5] or '0', quiet, ''}
end
local t = redis.call('TIME')
local now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local first = f[2] or now
redis.call('HSET', key, 'score', score, 'first_seen', first, 'last_seen', now, 'transport', ARGV[2],
  'interval_ms', ARGV[3], 'beat', ARGV[4])
redis.call('PEXPIRE', key, ARGV[5])
-- QUIET goes out on every beat while requested; RESUME once after it was withdrawn.
local instruction = ''
if quiet == '1' then
  instruction = 'quiet'
  redis.call('HSET', key, 'quiet_sent', '1')
elseif f[7] then
  instruction = 'resume'
  redis.call('HDEL', key, 'quiet_sent')
end
return {'1', first, now, ARGV[2], ARGV[3], quiet, instruction}
