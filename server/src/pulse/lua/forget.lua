-- KEYS[1]: the node registry. ARGV: node id, the registry score the caller judged lost.
-- Removes the node only if it did not beat again since (its score is unchanged).
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
