-- ARGV: base, count, then per ack: id, lease token, result ('' for none).
-- Returns the ids whose lease was stale (not active, or reserved again since).
local now = now_ms()
local finished = int(now)
local count = tonumber(ARGV[2])
local stale = {}
local done, done_scored = {}, {}
local completed_events = event_group(now, 'completed', {})
for k = 0, count - 1 do
  local id, token, result = ARGV[3 + k * 3], ARGV[4 + k * 3], ARGV[5 + k * 3]
  local key = job_key(id)
  local f = redis.call('HMGET', key, 'state', 'lease', 'unique_key', 'started_at', 'attempts')
  if f[1] ~= 'active' or f[2] ~= token then
    stale[#stale + 1] = id
  else
    if result ~= '' then
      redis.call('HSET', key, 'state', 'completed', 'finished_at', finished, 'result', result)
    else
      redis.call('HSET', key, 'state', 'completed', 'finished_at', finished)
    end
    release_unique(id, f[3])
    note_duration(now, 'run', now - (tonumber(f[4]) or now))
    done[#done + 1] = id
    add_event(completed_events, id, f[5] or '0')
    done_scored[#done_scored + 1] = finished
    done_scored[#done_scored + 1] = id
  end
end
if #done > 0 then
  redis.call('ZREM', active, unpack(done))
  zadd_all(completed, done_scored)
  tally('active', -#done)
  tally('completed', #done)
  note_metric(now, 'completed', #done)
  save_meta()
end
return stale
