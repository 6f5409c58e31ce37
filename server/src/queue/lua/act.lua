-- ARGV: base, action (retry, promote, delete, cancel), expected state ('' for any), reason,
-- actor, then job ids (at most 1,000). Returns {woke (1/0), {outcome, state} per id}.
local action, expect, reason = ARGV[2], ARGV[3], ARGV[4]
local now = now_ms()
local batch = new_action_batch(ARGV[5], '')
local results = {}
for k = 6, #ARGV do
  local outcome, state = act_on_job(batch, action, ARGV[k], expect, reason, now)
  results[#results + 1] = {outcome, state}
end
finish_actions(batch, now)
local woke = 0
if batch.woke then woke = 1 end
return {woke, results}
