#!/usr/bin/env bash
# Runs the README's grpcurl examples against a real server and Redis on free loopback ports,
# checking each answer. Needs target/debug/zenith, redis-server, redis-cli, grpcurl ($GRPCURL)
# and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
GRPCURL="${GRPCURL:-grpcurl}"
ZENITH="${ZENITH_BIN:-target/debug/zenith}"
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
port=$(free_port)
addr="127.0.0.1:$port"
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --dir "$work" >/dev/null &
redis_pid=$!
"$ZENITH" serve --listen "$addr" --redis-url "redis://127.0.0.1:$redis_port" \
  --database-url "sqlite://$work/zenith.db" 2>"$work/server.log" &
server_pid=$!
cleanup() { kill "$server_pid" "$redis_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 100); do
  "$GRPCURL" -plaintext "$addr" grpc.health.v1.Health/Check >/dev/null 2>&1 && break
  sleep 0.1
done

passed=0
failed=0
check() {
  local name=$1 expected=$2 actual=$3
  if [[ "$actual" == *"$expected"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: expected '$expected' in:" >&2
    echo "$actual" >&2
  fi
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
call() { "$GRPCURL" -plaintext -d "$2" "$addr" "$1" 2>&1 || true; }

services=$("$GRPCURL" -plaintext "$addr" list)
for service in zenith.v1.QueueService zenith.v1.WorkerService zenith.v1.ArchiveService zenith.v1.PulseService zenith.v1.LogService zenith.v1.CronService zenith.v1.AlertService grpc.health.v1.Health grpc.reflection.v1.ServerReflection; do
  check "list $service" "$service" "$services"
done
check "describe" "rpc Reserve" "$("$GRPCURL" -plaintext "$addr" describe zenith.v1.WorkerService)"

# Enqueue → Reserve → Ack. The payload is base64: {"to":"ada@example.com"}.
enqueued=$(call zenith.v1.QueueService/Enqueue '{"job": {"queue": "emails", "type": "send_welcome", "payload": "eyJ0byI6ImFkYUBleGFtcGxlLmNvbSJ9", "content_type": "application/json"}}')
check "enqueue" "JOB_STATE_PENDING" "$enqueued"
id=$(echo "$enqueued" | field "['job']['id']")
reserved=$(call zenith.v1.WorkerService/Reserve '{"queues": ["emails"], "max_jobs": 10, "wait": "5s"}')
check "reserve" "$id" "$reserved"
token=$(echo "$reserved" | field "['jobs'][0]['leaseToken']")
acked=$(call zenith.v1.WorkerService/Ack "{\"acks\": [{\"queue\": \"emails\", \"job_id\": \"$id\", \"lease_token\": \"$token\"}]}")
check "ack" '"acked": 1' "$acked"
check "completed" "JOB_STATE_COMPLETED" "$(call zenith.v1.QueueService/GetJob "{\"id\": \"$id\"}")"
check "stale ack" "FailedPrecondition" "$(call zenith.v1.WorkerService/Ack "{\"acks\": [{\"queue\": \"emails\", \"job_id\": \"$id\", \"lease_token\": \"$token\"}]}")"

# Fail → retry → dead.
enqueued=$(call zenith.v1.QueueService/Enqueue '{"job": {"queue": "billing", "type": "charge", "max_attempts": 2, "backoff": {"base": "0.2s"}}}')
id=$(echo "$enqueued" | field "['job']['id']")
token=$(call zenith.v1.WorkerService/Reserve '{"queues": ["billing"]}' | field "['jobs'][0]['leaseToken']")
failed_once=$(call zenith.v1.WorkerService/Fail "{\"queue\": \"billing\", \"job_id\": \"$id\", \"lease_token\": \"$token\", \"error\": \"card declined\"}")
check "fail → retry" "JOB_STATE_RETRY" "$failed_once"
token=$(call zenith.v1.WorkerService/Reserve '{"queues": ["billing"], "wait": "10s"}' | field "['jobs'][0]['leaseToken']")
check "fail → dead" "JOB_STATE_DEAD" "$(call zenith.v1.WorkerService/Fail "{\"queue\": \"billing\", \"job_id\": \"$id\", \"lease_token\": \"$token\", \"error\": \"card declined\"}")"
job=$(call zenith.v1.QueueService/GetJob "{\"id\": \"$id\"}")
check "dead job" '"lastError": "card declined"' "$job"
check "attempts" '"attempts": 2' "$job"

check "list queues" '"name": "billing"' "$(call zenith.v1.QueueService/ListQueues '{}')"
check "list dead" "$id" "$(call zenith.v1.QueueService/ListJobs '{"queue": "billing", "state": "JOB_STATE_DEAD"}')"

# Fixing jobs: retry the dead one, cancel a delayed one, a batch with a miss.
check "retry dead" "JOB_STATE_PENDING" "$(call zenith.v1.QueueService/RetryJob "{\"id\": \"$id\"}")"
check "retry pending" "cannot retry job $id: it is pending" "$(call zenith.v1.QueueService/RetryJob "{\"id\": \"$id\"}")"
later=$(call zenith.v1.QueueService/Enqueue '{"job": {"queue": "billing", "type": "charge", "delay": "3600s"}}' | field "['job']['id']")
check "cancel" '"cancelReason": "customer closed the account"' "$(call zenith.v1.QueueService/CancelJob "{\"id\": \"$later\", \"reason\": \"customer closed the account\"}")"
check "list cancelled" "$later" "$(call zenith.v1.QueueService/ListJobs '{"queue": "billing", "state": "JOB_STATE_CANCELLED"}')"
check "batch" "JOB_ACTION_OUTCOME_NOT_FOUND" "$(call zenith.v1.QueueService/BatchDeleteJobs "{\"ids\": [\"$later\", \"nope\"]}")"

# Bulk: preview, then act on every match server-side; shortcuts; metrics.
for n in 1 2 3; do
  call zenith.v1.QueueService/Enqueue "{\"job\": {\"queue\": \"reports\", \"type\": \"build\", \"delay\": \"3600s\", \"tags\": [\"n$n\"]}}" >/dev/null
done
check "count" '"count": "2"' "$(call zenith.v1.QueueService/CountJobs '{"queue": "reports", "state": "JOB_STATE_SCHEDULED", "filter": "NOT tags : \"n1\""}')"
check "bad filter" "at position" "$(call zenith.v1.QueueService/CountJobs '{"queue": "reports", "state": "JOB_STATE_SCHEDULED", "filter": "tags :"}')"
op=$(call zenith.v1.QueueService/StartBulkOperation '{"queue": "reports", "state": "JOB_STATE_SCHEDULED", "action": "BULK_ACTION_PROMOTE", "filter": "NOT tags : \"n1\"", "request_id": "smoke-1"}')
check "start bulk" "BULK_OPERATION_STATUS_RUNNING" "$op"
op_id=$(echo "$op" | field "['operation']['id']")
for _ in $(seq 50); do
  got=$(call zenith.v1.QueueService/GetBulkOperation "{\"id\": \"$op_id\"}")
  [[ "$got" == *SUCCEEDED* ]] && break
  sleep 0.1
done
check "bulk done" '"done": "2"' "$got"
check "list bulk" "$op_id" "$(call zenith.v1.QueueService/ListBulkOperations '{"queue": "reports"}')"
check "purge" '"queue": "reports"' "$(call zenith.v1.QueueService/PurgeQueue '{"queue": "reports"}')"
check "retry all dead" "BULK_ACTION_RETRY" "$(call zenith.v1.QueueService/RetryAllDead '{"queue": "billing"}')"
check "metrics" '"enqueued": "' "$(call zenith.v1.QueueService/GetQueueMetrics '{"queue": "emails", "range": "3600s"}')"

check "pause" '"paused": true' "$(call zenith.v1.QueueService/PauseQueue '{"name": "emails"}')"
check "resume" '"name": "emails"' "$(call zenith.v1.QueueService/ResumeQueue '{"name": "emails"}')"
check "bad queue name" "InvalidArgument" "$(call zenith.v1.QueueService/Enqueue '{"job": {"queue": "no spaces", "type": "x"}}')"

# Pulse: a beat through gRPC, with an external queue it sees; the node in ListNodes and GetNode.
beat='{"beat": {"identity": {"node_id": "web-1:4242:a1", "service": "billing-worker", "language": "python", "pid": 4242, "hostname": "web-1"}, "interval": "5s", "process": {"cpu_percent": 12.5, "memory_rss_bytes": 104857600}, "external_queues": [{"name": "notifications", "driver": "laravel", "connection": "redis", "pending": 12, "failed": 1}]}}'
check "beat" '"serverTime"' "$(call zenith.v1.PulseService/Beat "$beat")"
nodes=$(call zenith.v1.PulseService/ListNodes '{"service": "billing-worker"}')
check "list nodes" '"nodeId": "web-1:4242:a1"' "$nodes"
check "node healthy" "NODE_HEALTH_HEALTHY" "$nodes"
node=$(call zenith.v1.PulseService/GetNode '{"node_id": "web-1:4242:a1"}')
check "get node" '"service": "billing-worker"' "$node"
check "node transport" "BEAT_TRANSPORT_GRPC" "$node"
check "no identity" "InvalidArgument" "$(call zenith.v1.PulseService/Beat '{"beat": {"interval": "5s"}}')"
external=$(call zenith.v1.QueueService/ListQueues '{"source": "QUEUE_SOURCE_EXTERNAL"}')
check "external queue" '"name": "notifications"' "$external"
check "external driver" '"driver": "laravel"' "$external"
check "external failed → dead" '"dead": "1"' "$external"

# Pulse through plain Redis: one SET … EX plus ZADD, no server call; the server reads it within
# a second.
redis-cli -p "$redis_port" >/dev/null <<EOF
SET zenith:pulse:beat:cron-1:77:b2 '{"identity": {"nodeId": "cron-1:77:b2", "service": "reports-cron", "language": "php"}, "interval": "5s"}' EX 15
ZADD zenith:pulse:nodes $(date +%s%3N) cron-1:77:b2
EOF
for _ in $(seq 50); do
  got=$(call zenith.v1.PulseService/GetNode '{"node_id": "cron-1:77:b2"}')
  [[ "$got" == *BEAT_TRANSPORT_REDIS* ]] && break
  sleep 0.1
done
check "redis-native beat" "BEAT_TRANSPORT_REDIS" "$got"
check "redis-native in list" '"nodeId": "cron-1:77:b2"' "$(call zenith.v1.PulseService/ListNodes '{}')"

# Logs: write a line for the dead billing job, then find it in SQL once archived.
check "write logs" '"written": 1' "$(call zenith.v1.LogService/WriteLogs "{\"records\": [{\"level\": \"LOG_LEVEL_WARN\", \"message\": \"card declined by issuer\", \"service\": \"billing-worker\", \"node_id\": \"web-1:4242:a1\", \"queue\": \"billing\", \"job_id\": \"$id\"}]}")"
for _ in $(seq 50); do
  got=$(call zenith.v1.LogService/SearchLogs '{"query": "declined issuer"}')
  [[ "$got" == *"card declined by issuer"* ]] && break
  sleep 0.1
done
check "search logs" '"message": "card declined by issuer"' "$got"
check "search logs by job" "card declined by issuer" "$(call zenith.v1.LogService/SearchLogs "{\"filter\": {\"job_id\": \"$id\", \"min_level\": \"LOG_LEVEL_WARN\"}}")"
check "job logs" "card declined by issuer" "$(call zenith.v1.QueueService/GetJob "{\"id\": \"$id\", \"include_logs\": true}")"
check "cli nodes" "web-1:4242:a1" "$("$ZENITH" --server "http://$addr" nodes --service billing-worker 2>&1 || true)"
check "cli logs" "card declined by issuer" "$("$ZENITH" --server "http://$addr" logs --job "$id" 2>&1 || true)"

# History: a job that finished and is gone from Redis is found by id, by payload field and by
# free text, with its timeline. A second server (its own key prefix and database) keeps
# completed jobs in Redis for one second only. Payload: {"email":"user@example.com","item":"blue widget"}.
hist_port=$(free_port)
hist="127.0.0.1:$hist_port"
"$ZENITH" serve --listen "$hist" --redis-url "redis://127.0.0.1:$redis_port" --prefix hist \
  --completed-retention 1s --database-url "sqlite://$work/history.db" 2>"$work/history.log" &
hist_pid=$!
trap 'kill "$hist_pid" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 100); do
  "$GRPCURL" -plaintext "$hist" grpc.health.v1.Health/Check >/dev/null 2>&1 && break
  sleep 0.1
done
hcall() { "$GRPCURL" -plaintext -H 'x-zenith-actor: smoke' -d "$2" "$hist" "$1" 2>&1 || true; }
hcall zenith.v1.QueueService/Enqueue '{"job": {"id": "order-1234", "queue": "orders", "type": "ship", "payload": "eyJlbWFpbCI6InVzZXJAZXhhbXBsZS5jb20iLCJpdGVtIjoiYmx1ZSB3aWRnZXQifQ==", "content_type": "application/json"}}' >/dev/null
token=$(hcall zenith.v1.WorkerService/Reserve '{"queues": ["orders"], "worker_id": "smoke-worker"}' | field "['jobs'][0]['leaseToken']")
hcall zenith.v1.WorkerService/Ack "{\"acks\": [{\"queue\": \"orders\", \"job_id\": \"order-1234\", \"lease_token\": \"$token\"}]}" >/dev/null
for _ in $(seq 100); do
  got=$(hcall zenith.v1.QueueService/GetJob '{"id": "order-1234"}')
  [[ "$got" == *JOB_SOURCE_ARCHIVE* ]] && break
  sleep 0.1
done
check "archived job by id" '"source": "JOB_SOURCE_ARCHIVE"' "$got"
check "archived job state" "JOB_STATE_COMPLETED" "$got"
check "search by payload field" "order-1234" "$(hcall zenith.v1.ArchiveService/SearchJobs '{"query": "payload.email = \"user@example.com\""}')"
check "search by free text" "JOB_SOURCE_ARCHIVE" "$(hcall zenith.v1.ArchiveService/SearchJobs '{"query": "\"blue widget\"", "queues": ["orders"]}')"
check "search misses" '{}' "$(hcall zenith.v1.ArchiveService/SearchJobs '{"query": "\"widget blue\""}')"
check "bad search" "InvalidArgument" "$(hcall zenith.v1.ArchiveService/SearchJobs '{"query": "payload.email ="}')"
history=$(hcall zenith.v1.ArchiveService/GetJobHistory '{"id": "order-1234"}')
for kind in ENQUEUED RESERVED COMPLETED; do
  check "history $kind" "JOB_EVENT_KIND_$kind" "$history"
done
check "history actor" '"actor": "smoke"' "$history"
check "cli search" "order-1234" "$("$ZENITH" --server "http://$hist" search 'payload.email = "user@example.com"' 2>&1 || true)"
check "cli history" "completed" "$("$ZENITH" --server "http://$hist" jobs history order-1234 2>&1 || true)"
check "archive status" '"backend": "sqlite"' "$(hcall zenith.v1.ArchiveService/GetArchiveStatus '{}')"

created=$(hcall zenith.v1.CronService/CreateSchedule '{"spec": {"id": "nightly-report", "cron": "30 2 * * *", "time_zone": "Europe/Berlin",
  "job": {"queue": "reports", "type": "build_report", "payload": "eyJkYXkiOiJ5ZXN0ZXJkYXkifQ==",
  "content_type": "application/json"}, "overlap": "OVERLAP_POLICY_SKIP"}}')
check "create schedule" '"nextFireAt"' "$created"
check "schedule defaults" "MISFIRE_POLICY_FIRE_ONCE" "$created"
preview=$(hcall zenith.v1.CronService/PreviewSchedule '{"cron": "30 2 * * *", "time_zone": "Europe/Berlin", "after": "2026-03-27T00:00:00Z", "count": 4}')
check "preview dst gap" '"localTime": "2026-03-29T03:00:00+02:00"' "$preview"
check "pause schedule" '"pauseReason": "incident 123"' "$(hcall zenith.v1.CronService/PauseSchedule '{"id": "nightly-report", "reason": "incident 123"}')"
check "trigger schedule" "RUN_TRIGGER_MANUAL" "$(hcall zenith.v1.CronService/TriggerSchedule '{"id": "nightly-report"}')"
check "schedule runs" '"scheduleId": "nightly-report"' "$(hcall zenith.v1.CronService/ListScheduleRuns '{"schedule_id": "nightly-report"}')"
check "bad expression" "spec.cron: field 2 (hour)" "$(hcall zenith.v1.CronService/CreateSchedule '{"spec": {"id": "bad", "cron": "0 25 * * *", "job": {"queue": "q", "type": "t"}}}')"

slack=$(hcall zenith.v1.AlertService/CreateChannel '{"spec": {"id": "ops-slack",
  "slack": {"webhook_url": "https://hooks.slack.com/services/T000/B000/XXXX"}}}')
check "create slack channel" '"webhook_url"' "$slack"
check "slack url stays secret" "kept" "$([[ "$slack" == *hooks.slack.com* ]] && echo leaked || echo kept)"
check "create pagerduty channel" "SEVERITY_CRITICAL" "$(hcall zenith.v1.AlertService/CreateChannel '{"spec": {"id": "oncall", "min_severity": "SEVERITY_CRITICAL",
  "pagerduty": {"routing_key": "R0UT1NGKEY0000000000000000000000"}}}')"
check "routing key stays secret" '"routing_key"' "$(hcall zenith.v1.AlertService/GetChannel '{"id": "oncall"}')"
channels=$(hcall zenith.v1.AlertService/ListChannels '{}')
check "no secret in list" "kept" "$([[ "$channels" == *R0UT1NGKEY* || "$channels" == *hooks.slack.com* ]] && echo leaked || echo kept)"
rule=$(hcall zenith.v1.AlertService/CreateRule '{"spec": {"id": "emails-backlog", "queue": "emails", "severity": "SEVERITY_CRITICAL",
  "backlog": {"above": 1000}, "pending_for": "120s", "repeat_interval": "1h",
  "channels": ["ops-slack", "oncall"]}}')
check "create rule" '"repeatInterval": "3600s"' "$rule"
rules=$(hcall zenith.v1.AlertService/ListRules '{}')
for default in failures backlog worker-lost disk; do
  check "default rule $default" "\"id\": \"$default\"" "$rules"
done
check "list alerts" '{' "$(hcall zenith.v1.AlertService/ListAlerts '{}')"
check "create silence" "SILENCE_STATE_ACTIVE" "$(hcall zenith.v1.AlertService/CreateSilence '{"spec": {"queue": "emails", "duration": "2h", "comment": "migration"}}')"
check "list silences" '"comment": "migration"' "$(hcall zenith.v1.AlertService/ListSilences '{}')"
check "bad rule" "spec.backlog.above" "$(hcall zenith.v1.AlertService/CreateRule '{"spec": {"id": "bad", "backlog": {"above": -1}}}')"
check "channel in use" "used by rules emails-backlog" "$(hcall zenith.v1.AlertService/DeleteChannel '{"id": "ops-slack"}')"
check "rule needs known channels" "channel nope not found" "$(hcall zenith.v1.AlertService/CreateRule '{"spec": {"id": "bad", "backlog": {"above": 1}, "channels": ["nope"]}}')"

echo "smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
