//! The `zenith` CLI against a real Redis and a real `zenith serve`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use zenith_testkit::{RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");

struct Harness {
    server: ZenithServer,
    _redis: RedisServer,
}

fn start() -> Harness {
    let redis = RedisServer::start().expect("start redis");
    let server =
        ZenithServer::start_with(Path::new(ZENITH), &redis.url(), &[]).expect("start zenith");
    Harness {
        server,
        _redis: redis,
    }
}

impl Harness {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(ZENITH);
        command
            .args(["--server", &self.server.url()])
            .args(args)
            .env("ZENITH_LOG", "warn")
            .env_remove("RUST_BACKTRACE");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run zenith")
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "zenith {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let stdout = self.ok(&args);
        serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
    }

    fn job(&self, id: &str) -> Value {
        self.json(&["jobs", "get", id])
    }

    /// Runs `zenith work` to completion, failing the test if it hangs.
    fn work(&self, args: &[&str], timeout: Duration) -> Output {
        let mut child = self
            .command(&[&["work"], args].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start zenith work");
        let started = Instant::now();
        while child.try_wait().expect("poll worker").is_none() {
            if started.elapsed() > timeout {
                let _ = child.kill();
                panic!("zenith work {args:?} did not finish within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().expect("collect worker output")
    }
}

fn enqueue(harness: &Harness, args: &[&str]) -> String {
    harness.ok(&[&["enqueue"], args].concat()).trim().to_owned()
}

#[test]
fn enqueue_get_and_work_acks_the_job() {
    let harness = start();
    let dir = tempfile::tempdir().expect("temp dir");
    let id = enqueue(
        &harness,
        &["emails", "send_welcome", "--payload", r#"{"user_id": 7}"#],
    );
    let job = harness.job(&id);
    assert_eq!(job["id"], id.as_str());
    assert_eq!(job["state"], "JOB_STATE_PENDING");
    assert_eq!(job["contentType"], "application/json");

    let out = dir.path().join("out");
    let script = format!(
        r#"printf '%s %s %s %s ' "$ZENITH_JOB_ID" "$ZENITH_JOB_TYPE" "$ZENITH_ATTEMPT" "$ZENITH_QUEUE" > {0}; cat >> {0}"#,
        out.display()
    );
    let worker = harness.work(
        &["emails", "--max-jobs", "1", "--", "sh", "-c", &script],
        Duration::from_secs(30),
    );
    assert!(worker.status.success(), "{worker:?}");
    assert_eq!(
        std::fs::read_to_string(&out).expect("command ran"),
        format!(r#"{id} send_welcome 1 emails {{"user_id": 7}}"#)
    );
    assert_eq!(harness.job(&id)["state"], "JOB_STATE_COMPLETED");

    let id = enqueue(&harness, &["emails", "send_welcome"]);
    let worker = harness.work(
        &[
            "emails",
            "--max-jobs",
            "1",
            "--",
            "sh",
            "-c",
            "cat > /dev/null",
        ],
        Duration::from_secs(30),
    );
    assert!(worker.status.success(), "{worker:?}");
    assert_eq!(harness.job(&id)["state"], "JOB_STATE_COMPLETED");
}

#[test]
fn failing_command_kills_the_job_with_its_stderr() {
    let harness = start();
    let id = enqueue(&harness, &["jobs", "risky", "--max-attempts", "1"]);
    let worker = harness.work(
        &[
            "jobs",
            "--max-jobs",
            "1",
            "--",
            "sh",
            "-c",
            "echo boom >&2; exit 3",
        ],
        Duration::from_secs(30),
    );
    assert!(worker.status.success(), "{worker:?}");
    let job = harness.job(&id);
    assert_eq!(job["state"], "JOB_STATE_DEAD");
    let error = job["lastError"].as_str().expect("last error");
    assert!(error.contains("boom"), "{error}");
    assert!(error.contains("exit status: 3"), "{error}");

    let dead = harness.json(&["jobs", "list", "jobs", "--state", "dead"]);
    assert_eq!(dead["jobs"][0]["id"], id.as_str());
}

#[test]
fn a_failing_command_is_retried_with_backoff_and_then_dies() {
    let harness = start();
    let id = enqueue(&harness, &["jobs", "flaky", "--max-attempts", "2"]);
    // The first failure sends the job to retry; after its backoff (about a second) the same
    // worker takes it again, fails it for good, and stops after those two attempts.
    let worker = harness.work(
        &[
            "jobs",
            "--max-jobs",
            "2",
            "--",
            "sh",
            "-c",
            "echo \"attempt $ZENITH_ATTEMPT failed\" >&2; exit 1",
        ],
        Duration::from_secs(60),
    );
    assert!(worker.status.success(), "{worker:?}");
    let job = harness.job(&id);
    assert_eq!(job["state"], "JOB_STATE_DEAD");
    assert_eq!(job["attempts"], 2);
    let error = job["lastError"].as_str().expect("last error");
    assert!(error.contains("attempt 2 failed"), "{error}");
}

#[test]
fn timeout_kills_the_command_and_everything_it_started() {
    let harness = start();
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("pid");
    let id = enqueue(
        &harness,
        &["slow", "nap", "--timeout", "1s", "--max-attempts", "1"],
    );
    let started = Instant::now();
    let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
    let worker = harness.work(
        &["slow", "--max-jobs", "1", "--", "sh", "-c", &script],
        Duration::from_secs(20),
    );
    assert!(worker.status.success(), "{worker:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let job = harness.job(&id);
    assert_eq!(job["state"], "JOB_STATE_DEAD");
    let error = job["lastError"].as_str().expect("last error");
    assert!(error.contains("timed out"), "{error}");

    // The grandchild `sleep` was in the command's process group, so it was killed too.
    let pid = std::fs::read_to_string(&pid_file).expect("pid written");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
    assert!(
        stat.is_err() || stat.as_deref().is_ok_and(|stat| stat.contains(") Z")),
        "sleep {pid} still runs: {stat:?}"
    );
}

#[test]
fn sigterm_lets_the_running_command_finish() {
    let harness = start();
    let id = enqueue(&harness, &["slow", "nap"]);
    let mut worker = harness
        .command(&["work", "slow", "--", "sleep", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start worker");
    let started = Instant::now();
    while harness.job(&id)["state"] != "JOB_STATE_ACTIVE" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reserved"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("send sigterm");
    assert!(killed.success());
    let status = worker.wait().expect("worker exits");
    assert!(status.success(), "{status:?}");
    assert_eq!(harness.job(&id)["state"], "JOB_STATE_COMPLETED");
}

#[test]
fn pause_and_resume_show_in_queues() {
    let harness = start();
    enqueue(&harness, &["alpha", "t"]);
    enqueue(&harness, &["beta", "t"]);

    let paused = harness.json(&["pause", "alpha"]);
    assert_eq!(paused["name"], "alpha");
    assert_eq!(paused["paused"], true);
    let queues = harness.json(&["queues"]);
    let alpha = &queues["queues"][0];
    assert_eq!(alpha["name"], "alpha");
    assert_eq!(alpha["paused"], true);
    assert_eq!(alpha["counts"]["pending"], "1");
    assert_eq!(queues["queues"][1]["name"], "beta");
    assert_eq!(queues["queues"][1].get("paused"), None);

    let stdout = harness.ok(&["resume", "alpha"]);
    assert!(stdout.contains("queue alpha resumed"), "{stdout}");
    let queues = harness.json(&["queues"]);
    assert_eq!(queues["queues"][0].get("paused"), None);
}

#[test]
fn queues_and_jobs_print_aligned_tables() {
    let harness = start();
    assert_eq!(harness.ok(&["queues"]), "no queues\n");
    assert_eq!(harness.json(&["queues"])["queues"], serde_json::json!([]));
    for _ in 0..3 {
        enqueue(&harness, &["emails", "send_welcome"]);
    }
    enqueue(&harness, &["emails", "later", "--delay", "1h"]);
    enqueue(&harness, &["reports", "render", "--priority", "-5"]);

    let table = harness.ok(&["queues"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let header = lines[0];
    for column in [
        "QUEUE",
        "STATE",
        "PENDING",
        "SCHEDULED",
        "DEAD",
        "COMPLETED",
        "CANCELLED",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(lines[1].starts_with("emails "), "{table}");
    assert!(lines[2].starts_with("reports "), "{table}");
    // Counts are right-aligned under their headers.
    let pending_end = header.find("PENDING").unwrap() + "PENDING".len();
    assert_eq!(&lines[1][pending_end - 1..pending_end], "3", "{table}");
    let scheduled_end = header.find("SCHEDULED").unwrap() + "SCHEDULED".len();
    assert_eq!(&lines[1][scheduled_end - 1..scheduled_end], "1", "{table}");

    let jobs = harness.ok(&["jobs", "list", "emails", "--limit", "2"]);
    let lines: Vec<&str> = jobs.lines().collect();
    assert!(lines[0].starts_with("ID "), "{jobs}");
    assert_eq!(lines.len(), 4, "{jobs}");
    assert!(lines[3].contains("raise --limit"), "{jobs}");
    let scheduled = harness.ok(&["jobs", "list", "emails", "--state", "scheduled"]);
    assert!(
        scheduled.contains("DUE") && scheduled.contains("in 59m"),
        "{scheduled}"
    );
    let listed = harness.json(&["jobs", "list", "emails", "--newest", "--limit", "1"]);
    assert_eq!(listed["jobs"].as_array().map(Vec::len), Some(1));
}

#[test]
fn enqueue_json_prints_the_whole_job() {
    let harness = start();
    let job = harness.json(&[
        "enqueue",
        "emails",
        "send_welcome",
        "--payload",
        r#"{"a":1}"#,
        "--id",
        "welcome-1",
        "--max-attempts",
        "3",
        "--priority",
        "10",
        "--unique-key",
        "u1",
        "--tag",
        "signup",
        "--header",
        "trace=abc",
        "--timeout",
        "30s",
    ]);
    assert_eq!(job["id"], "welcome-1");
    assert_eq!(job["queue"], "emails");
    assert_eq!(job["type"], "send_welcome");
    assert_eq!(job["maxAttempts"], 3);
    assert_eq!(job["priority"], 10);
    assert_eq!(job["uniqueKey"], "u1");
    assert_eq!(job["tags"][0], "signup");
    assert_eq!(job["headers"]["trace"], "abc");
    assert_eq!(job["timeout"], "30s");
    assert_eq!(job["contentType"], "application/json");

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("payload.bin");
    std::fs::write(&file, b"\xffraw").expect("write payload");
    let payload_arg = format!("@{}", file.display());
    let raw = harness.json(&[
        "enqueue",
        "blobs",
        "t",
        "--payload",
        &payload_arg,
        "--content-type",
        "application/octet-stream",
    ]);
    assert_eq!(raw["payload"], "/3Jhdw==");
    let shown = harness.ok(&["jobs", "get", raw["id"].as_str().expect("id")]);
    assert!(shown.contains("<4 bytes>"), "{shown}");
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let harness = start();
    let refused = |args: &[&str], expected: &str| {
        let output = harness.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "zenith {args:?} succeeded");
        assert!(stderr.contains(expected), "zenith {args:?}: {stderr}");
    };
    refused(
        &["enqueue", "q", "t", "--payload", "{oops"],
        "invalid JSON payload",
    );
    refused(
        &["jobs", "list", "q", "--state", "finished"],
        "unknown state \"finished\"",
    );
    refused(
        &["enqueue", "q", "t", "--delay", "soon"],
        "invalid duration",
    );
    refused(&["enqueue", "bad queue!", "t"], "invalid argument");
    refused(&["jobs", "get", "missing"], "not found");
    refused(&["enqueue", "q", "t", "--header", "novalue"], "KEY=VALUE");
    refused(&["work", "q"], "COMMAND");

    let unreachable = Command::new(ZENITH)
        .args(["--server", "http://127.0.0.1:1", "queues"])
        .output()
        .expect("run zenith");
    assert_eq!(unreachable.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(
        stderr.starts_with("error: connect to http://127.0.0.1:1"),
        "{stderr}"
    );
}

#[test]
fn jobs_retry_brings_a_dead_job_back_and_reports_each_id() {
    let harness = start();
    let id = enqueue(&harness, &["jobs", "risky", "--max-attempts", "1"]);
    let worker = harness.work(
        &["jobs", "--max-jobs", "1", "--", "sh", "-c", "exit 3"],
        Duration::from_secs(30),
    );
    assert!(worker.status.success(), "{worker:?}");
    assert_eq!(harness.job(&id)["state"], "JOB_STATE_DEAD");

    let out = harness.ok(&["jobs", "retry", &id]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["ID", "OUTCOME", "STATE", "MESSAGE"], "{out}");
    assert_eq!(lines[1], [id.as_str(), "done", "pending"], "{out}");
    let job = harness.job(&id);
    assert_eq!(job["state"], "JOB_STATE_PENDING");
    assert_eq!(job.get("attempts"), None, "attempts start afresh: {job}");

    // A pending job and an unknown id are reported, and the exit status says so.
    let output = harness.run(&["jobs", "retry", &id, "nope", "--queue", "jobs"]);
    assert!(!output.status.success());
    let out = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let message = format!("cannot retry job {id}: it is pending");
    let wrong_state: Vec<&str> = [id.as_str(), "wrong_state", "pending"]
        .into_iter()
        .chain(message.split_whitespace())
        .collect();
    assert_eq!(lines[1], wrong_state, "{out}");
    assert_eq!(
        lines[2],
        ["nope", "not_found", "-", "job", "nope", "not", "found"],
        "{out}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 of 2 jobs not retried"), "{stderr}");

    let output = harness.run(&["jobs", "retry"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no job ids given"), "{stderr}");
}

#[test]
fn jobs_cancel_cancels_waiting_jobs_and_stops_running_commands() {
    let harness = start();
    let waiting = enqueue(&harness, &["later", "nap", "--delay", "1h"]);
    let results = harness.json(&["jobs", "cancel", &waiting, "--reason", "not needed"]);
    assert_eq!(results["results"][0]["id"], waiting.as_str());
    assert_eq!(results["results"][0]["outcome"], "JOB_ACTION_OUTCOME_DONE");
    assert_eq!(results["results"][0]["state"], "JOB_STATE_CANCELLED");
    let job = harness.job(&waiting);
    assert_eq!(job["state"], "JOB_STATE_CANCELLED");
    assert_eq!(job["cancelReason"], "not needed");
    let listed = harness.json(&["jobs", "list", "later", "--state", "cancelled"]);
    assert_eq!(listed["jobs"][0]["id"], waiting.as_str());

    // A running command is killed with everything it started, and the job ends cancelled.
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("pid");
    let id = enqueue(&harness, &["slow", "nap"]);
    let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
    let mut worker = harness
        .command(&[
            "work",
            "slow",
            "--max-jobs",
            "1",
            "--lease",
            "1s",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start worker");
    let started = Instant::now();
    while harness.job(&id)["state"] != "JOB_STATE_ACTIVE" || !pid_file.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reserved"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = harness.ok(&["jobs", "cancel", &id, "--reason", "wrong file"]);
    let requested: Vec<&str> = out
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(requested, [id.as_str(), "requested", "active"], "{out}");
    while worker.try_wait().expect("poll worker").is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = worker.kill();
            panic!("zenith work did not stop after the cancellation");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(worker.wait().expect("worker exits").success());
    let job = harness.job(&id);
    assert_eq!(job["state"], "JOB_STATE_CANCELLED");
    assert_eq!(job["cancelReason"], "wrong file");
    let pid = std::fs::read_to_string(&pid_file).expect("pid written");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
    assert!(
        stat.is_err() || stat.as_deref().is_ok_and(|stat| stat.contains(") Z")),
        "sleep {pid} still runs: {stat:?}"
    );
}

#[test]
fn jobs_list_takes_a_filter_and_points_at_mistakes() {
    let harness = start();
    let vip = enqueue(
        &harness,
        &[
            "emails",
            "send",
            "--tag",
            "vip",
            "--payload",
            r#"{"to":"a@b.c"}"#,
        ],
    );
    enqueue(
        &harness,
        &["emails", "send", "--payload", r#"{"to":"x@y.z"}"#],
    );
    let other = enqueue(&harness, &["emails", "render", "--tag", "vip"]);

    let listed = harness.json(&[
        "jobs",
        "list",
        "emails",
        "--filter",
        r#"type = "send" AND tags : "vip""#,
    ]);
    let ids: Vec<&str> = listed["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [vip.as_str()]);
    let table = harness.ok(&[
        "jobs",
        "list",
        "emails",
        "--filter",
        r#"payload.to = "a@b.c" OR type = "render""#,
    ]);
    assert!(table.contains(&vip) && table.contains(&other), "{table}");
    assert_eq!(table.lines().count(), 3, "{table}");
    let none = harness.ok(&["jobs", "list", "emails", "--filter", r#"error : "timeout""#]);
    assert_eq!(none, "no pending jobs matching the filter\n");

    let output = harness.run(&[
        "jobs",
        "list",
        "emails",
        "--filter",
        "attempts >= \"three\"",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "error: invalid filter: at position 12: attempts is a number; \"three\" is not\n  \
         attempts >= \"three\"\n              ^\n"
    );
}

#[test]
fn jobs_delete_by_filter_counts_first_asks_and_follows_the_operation() {
    let harness = start();
    for tag in ["vip", "vip", "basic"] {
        enqueue(
            &harness,
            &["reports", "build", "--delay", "1h", "--tag", tag],
        );
    }
    let select = [
        "jobs",
        "delete",
        "--queue",
        "reports",
        "--state",
        "scheduled",
        "--filter",
        r#"tags : "vip""#,
    ];
    let output = harness.run(&[&select[..], &["--dry-run"]].concat());
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"2 scheduled jobs of reports matching tags : "vip""#),
        "{stderr}"
    );

    // Without a terminal to ask on, only --yes lets it act.
    let output = harness.run(&select);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pass --yes"), "{stderr}");
    let listed = harness.json(&["jobs", "list", "reports", "--state", "scheduled"]);
    assert_eq!(listed["jobs"].as_array().map(Vec::len), Some(3));

    let out = harness.ok(&[&select[..], &["--yes"]].concat());
    assert!(out.contains("status     succeeded"), "{out}");
    assert!(
        out.contains("3 examined, 2 matched, 2 done, 0 skipped"),
        "{out}"
    );
    let listed = harness.json(&["jobs", "list", "reports", "--state", "scheduled"]);
    assert_eq!(listed["jobs"][0]["tags"][0], "basic");

    let out = harness.ok(&["queues", "purge", "reports", "--yes"]);
    assert!(out.contains("status     succeeded"), "{out}");
    let operations = harness.json(&["bulk", "list", "--queue", "reports"]);
    assert_eq!(operations["operations"].as_array().map(Vec::len), Some(2));

    let output = harness.run(&[
        "jobs", "retry", "some-id", "--queue", "reports", "--state", "dead",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("give job ids or --state, not both"),
        "{stderr}"
    );
}

/// A server on a database seeded through the archive store with `count` finished jobs of queue
/// `archived`, an hour apart up to 2026-10-31T23:00:00Z (`arch-0000` the oldest), those ending
/// in 1 dead with an SMTP timeout, and the timeline of `arch-0001`.
fn start_with_archive(count: i64) -> (Harness, tempfile::TempDir) {
    use zenith_proto::v1::{Job, JobEvent, JobEventKind, JobState};
    use zenith_server::archive::store::{ArchiveBatch, EventRecord, JobRecord};
    const NOV_1_S: i64 = 1_793_491_200;
    let at = |seconds: i64| prost_types::Timestamp { seconds, nanos: 0 };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("z.db").display());
    let jobs: Vec<JobRecord> = (0..count)
        .map(|i| {
            let dead = i % 10 == 1;
            let created = NOV_1_S - (count - i) * 3600;
            let job = Job {
                id: format!("arch-{i:04}"),
                queue: "archived".into(),
                r#type: if dead { "send-email" } else { "render" }.into(),
                payload: format!(r#"{{"n":{i},"email":"user{i}@example.com"}}"#).into_bytes(),
                state: if dead {
                    JobState::Dead
                } else {
                    JobState::Completed
                } as i32,
                last_error: if dead { "SMTP timeout after 30s" } else { "" }.into(),
                attempts: 1,
                max_attempts: 1,
                created_at: Some(at(created)),
                finished_at: Some(at(created + 60)),
                ..Job::default()
            };
            JobRecord {
                text: zenith_server::archive::text::search_text(&job),
                version: 0,
                job,
            }
        })
        .collect();
    let created = NOV_1_S - (count - 1) * 3600;
    let event = |offset: i64, kind: JobEventKind, state: JobState, event: JobEvent| EventRecord {
        job_id: "arch-0001".into(),
        queue: "archived".into(),
        entry: format!("{}-{offset}", created * 1000),
        event: JobEvent {
            at: Some(at(created + offset)),
            kind: kind as i32,
            state: state as i32,
            ..event
        },
    };
    let events = vec![
        event(
            0,
            JobEventKind::Enqueued,
            JobState::Pending,
            JobEvent {
                actor: "cli:ada@laptop".into(),
                ..JobEvent::default()
            },
        ),
        event(
            1,
            JobEventKind::Reserved,
            JobState::Active,
            JobEvent {
                worker: "node-7".into(),
                attempt: 1,
                ..JobEvent::default()
            },
        ),
        event(
            60,
            JobEventKind::Failed,
            JobState::Dead,
            JobEvent {
                worker: "node-7".into(),
                attempt: 1,
                error: "SMTP timeout after 30s".into(),
                ..JobEvent::default()
            },
        ),
    ];
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = zenith_server::db::Database::connect(&url).await.unwrap();
        let store = zenith_server::archive::store::open(&db);
        for chunk in jobs.chunks(500) {
            let batch = ArchiveBatch {
                jobs: chunk.to_vec(),
                events: Vec::new(),
            };
            store.record(&batch).await.unwrap();
        }
        let batch = ArchiveBatch {
            jobs: Vec::new(),
            events,
        };
        store.record(&batch).await.unwrap();
    });
    let redis = RedisServer::start().expect("start redis");
    // Retention long enough that the fixed dates of the data are never pruned.
    let args = ["--database-url", &url, "--archive-retention", "3650d"];
    let server =
        ZenithServer::start_with(Path::new(ZENITH), &redis.url(), &args).expect("start zenith");
    let harness = Harness {
        server,
        _redis: redis,
    };
    (harness, dir)
}

fn hit_ids(found: &Value) -> Vec<String> {
    found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["job"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn search_finds_archived_jobs_and_follows_pages_to_the_limit() {
    let (harness, _dir) = start_with_archive(600);
    let table = harness.ok(&["search", "timeout", "--limit", "2"]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert_eq!(
        rows[0],
        [
            "ID", "QUEUE", "TYPE", "STATE", "SOURCE", "CREATED", "FINISHED"
        ],
        "{table}"
    );
    assert_eq!(
        rows[1][..5],
        ["arch-0591", "archived", "send-email", "dead", "archive"],
        "{table}"
    );
    assert_eq!(rows[2][0], "arch-0581", "{table}");

    let found = harness.json(&["search", "user3@example.com"]);
    assert_eq!(hit_ids(&found), ["arch-0003"]);
    assert_eq!(found["hits"][0]["source"], "JOB_SOURCE_ARCHIVE");

    // 550 hits take two pages (at most 500 each), newest first.
    let found = harness.json(&["search", "", "--limit", "550"]);
    let expected: Vec<String> = (50..600).rev().map(|i| format!("arch-{i:04}")).collect();
    assert_eq!(hit_ids(&found), expected);
    assert!(!found["nextPageToken"].as_str().unwrap_or("").is_empty());

    let filtered = |args: &[&str]| hit_ids(&harness.json(&[&["search"], args].concat()));
    assert_eq!(
        filtered(&[
            "",
            "--state",
            "dead",
            "--type",
            "send-email",
            "--limit",
            "3"
        ]),
        ["arch-0591", "arch-0581", "arch-0571"]
    );
    assert_eq!(
        filtered(&["payload.n = 7 OR payload.n = 8", "--queue", "archived"]),
        ["arch-0008", "arch-0007"]
    );
    assert!(filtered(&["--queue", "other"]).is_empty());
    assert_eq!(
        filtered(&["", "--until", "2026-10-31T21:30:00Z", "--limit", "2"]),
        ["arch-0597", "arch-0596"]
    );
    assert!(filtered(&["", "--since", "1h"]).is_empty());
    assert_eq!(
        harness.ok(&["search", "nothing-like-this"]),
        "no jobs match\n"
    );

    let output = harness.run(&["search", "type = "]);
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: invalid query: at position 7: expected a value after \"=\", found end of \
         filter\n  type = \n         ^\n"
    );
    let output = harness.run(&["search", "x", "--state", "done"]);
    assert!(!output.status.success());
}

#[test]
fn jobs_history_prints_the_timeline() {
    let (harness, _dir) = start_with_archive(3);
    let table = harness.ok(&["jobs", "history", "arch-0001"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert_eq!(
        lines[0], "job arch-0001 (archived, send-email): dead, from the archive",
        "{table}"
    );
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        header,
        ["TIME", "EVENT", "STATE", "ATTEMPT", "BY", "DETAIL"],
        "{table}"
    );
    let row = |n: usize| lines[n].split_whitespace().skip(1).collect::<Vec<_>>();
    assert_eq!(row(2), ["enqueued", "pending", "0", "cli:ada@laptop"]);
    assert_eq!(row(3), ["reserved", "active", "1", "node-7"]);
    assert_eq!(
        row(4),
        [
            "failed", "dead", "1", "node-7", "SMTP", "timeout", "after", "30s"
        ]
    );
    assert!(lines[2].starts_with("2026-10-31T22:00:00.000Z"), "{table}");

    let history = harness.json(&["jobs", "history", "arch-0001"]);
    assert_eq!(history["source"], "JOB_SOURCE_ARCHIVE");
    assert_eq!(history["job"]["id"], "arch-0001");
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "JOB_EVENT_KIND_ENQUEUED",
            "JOB_EVENT_KIND_RESERVED",
            "JOB_EVENT_KIND_FAILED"
        ]
    );

    assert_eq!(
        harness.ok(&["jobs", "history", "arch-0002"]),
        "job arch-0002 (archived, render): completed, from the archive\nno events recorded\n"
    );
    let output = harness.run(&["jobs", "history", "nope"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not found"), "{stderr}");
}

/// Polls `zenith nodes --json` with `filters` until `check` holds for the listed nodes.
fn wait_for_nodes(
    harness: &Harness,
    filters: &[&str],
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let listing = harness.json(&[&["nodes"], filters].concat());
        let nodes: Vec<Value> = listing["services"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|group| group["nodes"].as_array().cloned().unwrap_or_default())
            .collect();
        if check(&nodes) {
            return nodes;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nodes {filters:?} never matched: {listing}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn zenith_nodes_lists_a_beating_worker_and_reports_it_lost_after_sigkill() {
    let harness = start();
    let mut worker = harness
        .command(&[
            "work",
            "beats",
            "--service",
            "doomed-worker",
            "--pulse-interval",
            "1s",
            "--",
            "true",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start zenith work");
    let nodes = wait_for_nodes(&harness, &["--service", "doomed-worker"], |nodes| {
        nodes.len() == 1 && nodes[0]["health"] == "NODE_HEALTH_HEALTHY"
    });
    let identity = &nodes[0]["beat"]["identity"];
    let node_id = identity["nodeId"].as_str().expect("node id").to_owned();
    assert_eq!(identity["language"], "rust");
    assert_eq!(identity["pid"], worker.id().to_string());
    assert_eq!(nodes[0]["beat"]["queues"], serde_json::json!(["beats"]));

    let table = harness.ok(&["nodes"]);
    let row = table
        .lines()
        .find(|line| line.contains(&node_id))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.starts_with("doomed-worker  "), "{table}");
    assert!(
        row.contains("  rust  ") && row.contains("  healthy  "),
        "{table}"
    );
    assert!(row.contains(" ago"), "{table}");

    worker.kill().expect("SIGKILL the worker");
    let killed_at = Instant::now();
    worker.wait().expect("reap the worker");
    wait_for_nodes(
        &harness,
        &["--service", "doomed-worker", "--health", "lost"],
        |nodes| nodes.len() == 1,
    );
    // TTL (three 1 s intervals) + one interval, and a second for this test's own polling.
    let waited = killed_at.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "reported lost after {waited:?}"
    );
    let table = harness.ok(&["nodes", "--service", "doomed-worker"]);
    let row = table
        .lines()
        .find(|line| line.contains(&node_id))
        .unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[3..5], ["lost", "lost"], "{table}");
    assert_eq!(cells[6], "ago", "{table}");
}

/// Polls `zenith logs --json` with `args` until it prints `count` lines.
fn wait_for_logs(harness: &Harness, args: &[&str], count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let found = harness.json(&[&["logs"], args].concat());
        let records = found["records"].as_array().cloned().unwrap_or_default();
        if records.len() >= count {
            return records;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "logs {args:?} never had {count} lines: {found}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn zenith_work_ships_the_commands_output_as_the_jobs_logs() {
    let harness = start();
    let id = enqueue(&harness, &["reports", "render"]);
    let other = enqueue(&harness, &["reports", "render"]);
    let worker = harness.work(
        &[
            "reports",
            "--max-jobs",
            "2",
            "--concurrency",
            "1",
            "--",
            "sh",
            "-c",
            r#"echo "rendering $ZENITH_JOB_ID"; sleep 0.2; echo "low on ink" >&2"#,
        ],
        Duration::from_secs(30),
    );
    assert!(worker.status.success(), "{worker:?}");
    // The output still reaches the worker's own stdout and stderr.
    let stdout = String::from_utf8_lossy(&worker.stdout);
    assert!(stdout.contains(&format!("rendering {id}")), "{stdout}");
    assert!(String::from_utf8_lossy(&worker.stderr).contains("low on ink"));

    let records = wait_for_logs(&harness, &["--job", &id], 2);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["message"], format!("rendering {id}"));
    assert_eq!(records[0]["target"], "stdout");
    assert_eq!(records[0]["level"], "LOG_LEVEL_INFO");
    assert_eq!(records[0]["jobId"], id.as_str());
    assert_eq!(records[0]["queue"], "reports");
    assert_eq!(records[0]["service"], "zenith-work");
    assert_eq!(records[1]["message"], "low on ink");
    assert_eq!(records[1]["target"], "stderr");
    assert_eq!(records[1]["level"], "LOG_LEVEL_WARN");

    let printed = harness.ok(&["logs", "--job", &id]);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert!(
        lines[0].contains("  INFO   zenith-work/")
            && lines[0].ends_with(&format!("  {id}  rendering {id}")),
        "{printed}"
    );
    assert!(
        lines[1].contains("  WARN ") && lines[1].ends_with("  low on ink"),
        "{printed}"
    );
    assert!(!printed.contains(&other), "{printed}");

    let warnings = wait_for_logs(&harness, &["--queue", "reports", "--level", "warn"], 2);
    assert!(
        warnings.iter().all(|record| record["target"] == "stderr"),
        "{warnings:?}"
    );
    let found = harness.json(&["logs", "rendering", "--job", &other]);
    assert_eq!(found["records"][0]["message"], format!("rendering {other}"));
}

#[test]
fn zenith_logs_follow_prints_a_line_written_after_it_started() {
    use std::io::BufRead as _;

    let harness = start();
    let mut follower = harness
        .command(&["logs", "-f", "--service", "tailed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start zenith logs -f");
    let stdout = follower.stdout.take().expect("stdout");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = runtime
        .block_on(zenith_sdk::Client::connect(harness.server.url()))
        .expect("connect");
    let write = |message: &str, service: &str| {
        let record = zenith_sdk::proto::LogRecord {
            message: message.to_owned(),
            service: service.to_owned(),
            node_id: "tail-test:1:a".to_owned(),
            ..Default::default()
        };
        runtime
            .block_on(client.write_logs(vec![record]))
            .expect("write logs");
    };
    // Lines keep coming until one shows: the tail may take a moment to be in place.
    let started = Instant::now();
    let line = loop {
        write("elsewhere", "other-service");
        write(&format!("tick {}", started.elapsed().as_millis()), "tailed");
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(300)) {
            break line;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "zenith logs -f printed nothing"
        );
    };
    assert!(
        line.contains("  INFO   tailed/tail-test:1:a  -  tick "),
        "{line}"
    );
    write("after the first", "tailed");
    let next = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a later line");
        if line.contains("after the first") {
            break line;
        }
        assert!(line.contains("tick "), "{line}");
    };
    assert!(!next.contains("elsewhere"));

    // SAFETY: kill(2) with the follower's own pid.
    unsafe {
        libc::kill(follower.id() as i32, libc::SIGINT);
    }
    let status = follower.wait().expect("follower exits");
    assert!(status.success(), "{status:?}");
    drop(client);
    drop(runtime);
}

#[test]
fn nodes_and_logs_refuse_bad_flags() {
    let harness = start();
    let refused = |args: &[&str], expected: &str| {
        let output = harness.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "zenith {args:?} succeeded");
        assert!(stderr.contains(expected), "zenith {args:?}: {stderr}");
    };
    refused(&["nodes", "--health", "dead"], "unknown health \"dead\"");
    refused(&["logs", "--level", "loud"], "unknown level \"loud\"");
    refused(&["logs", "--limit", "0"], "invalid limit");
    refused(&["logs", "--since", "soon"], "invalid duration");
    refused(&["logs", "-f", "--since", "2h"], "replays at most 1h");
    refused(
        &["work", "q", "--pulse-interval", "10m", "--", "true"],
        "out of range",
    );
    assert_eq!(harness.ok(&["nodes"]).trim(), "no nodes");
}

/// The row of a table whose first column is `first`, split on whitespace.
fn table_row(table: &str, first: &str) -> String {
    table
        .lines()
        .find(|line| line.split_whitespace().next() == Some(first))
        .unwrap_or_else(|| panic!("no row {first} in:\n{table}"))
        .to_owned()
}

#[test]
fn cron_schedules_are_added_listed_changed_paused_triggered_and_removed() {
    let harness = start();
    let added = harness.ok(&[
        "cron",
        "add",
        "nightly",
        "--cron",
        "0 3 * * *",
        "--tz",
        "Europe/Berlin",
        "--queue",
        "reports",
        "--type",
        "build",
        "--payload",
        r#"{"kind":"daily"}"#,
        "--header",
        "team=data",
        "--overlap",
        "skip",
        "--misfire",
        "catch-up",
        "--description",
        "the daily report",
    ]);
    assert!(
        added.starts_with("schedule nightly created; next fire "),
        "{added}"
    );
    assert!(
        added.contains(" CET (in ") || added.contains(" CEST (in "),
        "{added}"
    );
    let paused = harness.ok(&[
        "cron",
        "add",
        "tick",
        "--every",
        "30s",
        "--queue",
        "ops",
        "--type",
        "ping",
        "--payload",
        "hello",
        "--paused",
    ]);
    assert_eq!(paused, "schedule tick created; paused\n");

    let table = harness.ok(&["cron", "list"]);
    assert!(table.starts_with("ID "), "{table}");
    let nightly = table_row(&table, "nightly");
    for cell in ["0 3 * * *", "Europe/Berlin", "reports", "build", "(in "] {
        assert!(nightly.contains(cell), "{cell} missing in {nightly}");
    }
    assert!(nightly.ends_with(" no"), "{nightly}");
    let tick: Vec<String> = table_row(&table, "tick")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        tick,
        [
            "tick", "every", "30s", "UTC", "ops", "ping", "-", "-", "yes"
        ]
    );
    let ops = harness.json(&["cron", "list", "--queue", "ops"]);
    let ids: Vec<&str> = ops["schedules"]
        .as_array()
        .expect("schedules")
        .iter()
        .map(|schedule| schedule["spec"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["tick"]);

    let nightly = harness.json(&["cron", "get", "nightly"]);
    let spec = &nightly["spec"];
    assert_eq!(spec["job"]["contentType"], "application/json");
    assert_eq!(spec["job"]["headers"]["team"], "data");
    assert_eq!(spec["overlap"], "OVERLAP_POLICY_SKIP");
    assert_eq!(spec["misfire"], "MISFIRE_POLICY_CATCH_UP");
    assert_eq!(nightly["origin"], "SCHEDULE_ORIGIN_API");
    let created_by = nightly["createdBy"].as_str().expect("created by");
    assert!(created_by.starts_with("cli:"), "{created_by}");
    let tick = harness.json(&["cron", "get", "tick"]);
    assert_eq!(tick["spec"]["job"]["contentType"], "text/plain");
    assert_eq!(tick["paused"], true);
    let record = harness.ok(&["cron", "get", "nightly"]);
    for row in [
        vec!["overlap", "skip"],
        vec!["misfire", "catch-up"],
        vec!["catch-up", "window", "1h"],
        vec!["headers", "team=data"],
        vec!["description", "the", "daily", "report"],
    ] {
        assert!(
            record
                .lines()
                .any(|line| line.split_whitespace().eq(row.iter().copied())),
            "{row:?} missing in:\n{record}"
        );
    }
    assert!(
        table_row(&record, "created").contains(created_by),
        "{record}"
    );

    // --every replaces the expression; what was not given stays.
    harness.ok(&[
        "cron",
        "update",
        "nightly",
        "--every",
        "24h",
        "--priority",
        "7",
    ]);
    let spec = harness.json(&["cron", "get", "nightly"])["spec"].clone();
    assert_eq!(spec["cron"], Value::Null);
    assert_eq!(spec["interval"], "86400s");
    assert_eq!(spec["job"]["priority"], 7);
    assert_eq!(spec["job"]["queue"], "reports");
    assert_eq!(spec["job"]["headers"]["team"], "data");
    assert_eq!(spec["description"], "the daily report");

    harness.ok(&["cron", "pause", "nightly", "--reason", "incident 42"]);
    let paused = harness.json(&["cron", "get", "nightly"]);
    assert_eq!(paused["paused"], true);
    assert_eq!(paused["pauseReason"], "incident 42");
    assert!(
        paused["pausedBy"]
            .as_str()
            .expect("paused by")
            .starts_with("cli:")
    );
    assert_eq!(paused["nextFireAt"], Value::Null);
    assert!(
        harness
            .ok(&["cron", "get", "nightly"])
            .contains("incident 42")
    );
    let resumed = harness.ok(&["cron", "resume", "nightly"]);
    assert!(
        resumed.starts_with("schedule nightly resumed; next fire "),
        "{resumed}"
    );
    let nightly = harness.json(&["cron", "get", "nightly"]);
    assert_eq!(nightly["paused"], Value::Null);
    assert!(nightly["nextFireAt"].is_string(), "{nightly}");

    // A paused schedule can still be run by hand.
    let job_id = harness.ok(&["cron", "trigger", "tick"]).trim().to_owned();
    let job = harness.job(&job_id);
    assert_eq!(job["queue"], "ops");
    assert_eq!(job["type"], "ping");
    let runs = harness.ok(&["cron", "runs", "tick"]);
    assert!(runs.starts_with("FIRE TIME "), "{runs}");
    let run = runs.lines().nth(1).expect("one run");
    assert!(run.contains(" tick ") && run.contains(" manual "), "{runs}");
    assert!(run.contains(&job_id), "{runs}");
    let listed = harness.json(&["cron", "runs", "tick"]);
    assert_eq!(listed["runs"][0]["jobId"], job_id.as_str());
    assert_eq!(listed["runs"][0]["trigger"], "RUN_TRIGGER_MANUAL");
    harness.ok(&["cron", "trigger", "nightly"]);
    let all = harness.json(&["cron", "runs"]);
    let ran: Vec<&str> = all["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|run| run["scheduleId"].as_str().expect("schedule id"))
        .collect();
    assert!(ran.contains(&"tick") && ran.contains(&"nightly"), "{all}");
    let limited = harness.json(&["cron", "runs", "--limit", "1"]);
    assert_eq!(limited["runs"].as_array().expect("runs").len(), 1);
    assert_eq!(limited["runs"][0]["scheduleId"], "nightly");

    assert_eq!(
        harness.ok(&["cron", "rm", "tick"]),
        "schedule tick deleted\n"
    );
    let missing = harness.run(&["cron", "get", "tick"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));
    let left = harness.json(&["cron", "list"]);
    assert_eq!(left["schedules"].as_array().expect("schedules").len(), 1);
}

#[test]
fn cron_preview_shows_utc_and_local_times_across_daylight_saving() {
    let harness = start();
    let preview = harness.ok(&[
        "cron",
        "preview",
        "0 12 * * *",
        "--tz",
        "Europe/Berlin",
        "--after",
        "2026-03-28T00:00:00Z",
        "--count",
        "3",
    ]);
    let lines: Vec<Vec<&str>> = preview
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [
            vec!["time", "zone:", "Europe/Berlin"],
            vec!["UTC", "LOCAL"],
            vec!["2026-03-28T11:00:00Z", "2026-03-28T12:00:00+01:00"],
            vec!["2026-03-29T10:00:00Z", "2026-03-29T12:00:00+02:00"],
            vec!["2026-03-30T10:00:00Z", "2026-03-30T12:00:00+02:00"],
        ],
        "{preview}"
    );
    let every = harness.json(&[
        "cron",
        "preview",
        "--every",
        "90s",
        "--after",
        "2026-01-01T00:00:00+00:00",
        "--count",
        "2",
    ]);
    let times: Vec<&str> = every["fireTimes"]
        .as_array()
        .expect("fire times")
        .iter()
        .map(|fire| fire["time"].as_str().expect("time"))
        .collect();
    assert_eq!(times, ["2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z"]);
    assert_eq!(every["timeZone"], "UTC");

    harness.ok(&[
        "cron",
        "add",
        "weekly",
        "--cron",
        "0 9 * * MON",
        "--tz",
        "America/New_York",
        "--queue",
        "q",
        "--type",
        "t",
    ]);
    let stored = harness.json(&[
        "cron",
        "preview",
        "--id",
        "weekly",
        "--after",
        "2026-11-01T00:00:00Z",
        "--count",
        "1",
    ]);
    assert_eq!(stored["timeZone"], "America/New_York");
    assert_eq!(stored["fireTimes"][0]["time"], "2026-11-02T14:00:00Z");
    assert_eq!(
        stored["fireTimes"][0]["localTime"],
        "2026-11-02T09:00:00-05:00"
    );
}

#[test]
fn cron_bad_input_is_refused_naming_the_field() {
    let harness = start();
    // Exit status 1 for the server's refusals (printed as `error: what: why`), 2 for clap's.
    let refused = |args: &[&str], status: i32, expected: &[&str]| {
        let output = harness.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(status),
            "zenith {args:?}: {stderr}"
        );
        for words in expected {
            assert!(stderr.contains(words), "zenith {args:?}: {stderr}");
        }
    };
    let add = |extra: &[&'static str]| {
        let mut args = vec!["cron", "add", "bad", "--queue", "q", "--type", "t"];
        args.extend_from_slice(extra);
        args
    };
    refused(
        &add(&["--cron", "0 25 * * *"]),
        1,
        &["error: invalid argument: spec.cron", "column"],
    );
    refused(&add(&["--cron", "0 0 30 2 *"]), 1, &["spec.cron", "never"]);
    refused(
        &add(&["--cron", "* * * * *", "--tz", "Mars/Olympus"]),
        1,
        &["spec.time_zone", "Mars/Olympus"],
    );
    refused(
        &add(&["--every", "1s", "--jitter", "5s"]),
        1,
        &["spec.jitter"],
    );
    refused(
        &add(&[
            "--cron",
            "* * * * *",
            "--content-type",
            "application/json",
            "--payload",
            "{oops",
        ]),
        1,
        &["spec.job.payload", "JSON"],
    );
    refused(
        &["cron", "preview", "0 25 * * *"],
        1,
        &["error: invalid argument", "cron", "column"],
    );
    refused(
        &["cron", "update", "missing", "--priority", "1"],
        1,
        &["not found"],
    );
    let listed = harness.json(&["cron", "list"]);
    assert!(
        listed["schedules"]
            .as_array()
            .expect("schedules")
            .is_empty()
    );
    harness.ok(&add(&["--every", "5s"]));
    refused(&add(&["--every", "5s"]), 1, &["already exists"]);

    refused(&add(&["--every", "soon"]), 2, &["invalid duration"]);
    refused(
        &add(&["--cron", "* * * * *", "--every", "5s"]),
        2,
        &["cannot be used with"],
    );
    refused(
        &add(&["--every", "5s", "--overlap", "sometimes"]),
        2,
        &["unknown overlap policy"],
    );
    refused(&add(&[]), 2, &["--cron"]);
    refused(
        &["cron", "preview", "* * * * *", "--after", "tomorrow"],
        2,
        &["invalid time"],
    );
}

/// Runs a command with `input` on its stdin; returns its output.
fn run_with_stdin(harness: &Harness, args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    let mut child = harness
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start zenith");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("collect output")
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[test]
fn alert_rules_are_listed_added_changed_disabled_and_removed() {
    let harness = start();
    // A fresh install has the four default rules.
    let table = harness.ok(&["alerts", "rules"]);
    assert!(table.starts_with("ID "), "{table}");
    assert_eq!(
        words(&table_row(&table, "backlog")),
        [
            "backlog", "backlog", ">", "10000", "all", "queues", "5m", "warning", "all", "0", "0",
            "default", "yes"
        ]
    );
    assert_eq!(
        words(&table_row(&table, "worker-lost")),
        [
            "worker-lost",
            "node",
            "lost",
            "all",
            "nodes",
            "-",
            "critical",
            "all",
            "0",
            "0",
            "default",
            "yes"
        ]
    );
    assert!(table_row(&table, "failures").contains("failure rate > 20% in 5m"));
    assert!(table_row(&table, "disk").contains("disk > 90%"));
    let listed = harness.json(&["alerts", "rules", "list"]);
    let ids: Vec<&str> = listed["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|rule| rule["spec"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["backlog", "disk", "failures", "worker-lost"]);

    harness.ok(&[
        "alerts",
        "channels",
        "add",
        "ops",
        "--webhook-url",
        "http://127.0.0.1:9/hook",
    ]);
    let added = harness.ok(&[
        "alerts",
        "rules",
        "add",
        "emails-slow",
        "--oldest-pending-above",
        "10m",
        "--queue",
        "emails",
        "--for",
        "2m",
        "--repeat",
        "1h",
        "--severity",
        "critical",
        "--label",
        "team=mail",
        "--channel",
        "ops",
        "--description",
        "welcome mails wait",
    ]);
    assert_eq!(added, "rule emails-slow created\n");
    let row = table_row(&harness.ok(&["alerts", "rules"]), "emails-slow");
    assert_eq!(
        words(&row),
        [
            "emails-slow",
            "oldest",
            "pending",
            ">",
            "10m",
            "queue",
            "emails",
            "2m",
            "critical",
            "ops",
            "0",
            "0",
            "user",
            "yes"
        ]
    );
    let rule = harness.json(&["alerts", "rules", "get", "emails-slow"]);
    assert_eq!(rule["spec"]["oldestPending"]["above"], "600s");
    assert_eq!(rule["spec"]["repeatInterval"], "3600s");
    assert_eq!(rule["spec"]["labels"]["team"], "mail");
    assert_eq!(rule["spec"]["channels"][0], "ops");
    assert_eq!(rule["origin"], "RULE_ORIGIN_USER");
    let record = harness.ok(&["alerts", "rules", "get", "emails-slow"]);
    for row in [
        vec!["description", "welcome", "mails", "wait"],
        vec!["scope", "queue", "emails"],
        vec!["repeat", "1h"],
        vec!["labels", "team=mail"],
        vec!["open", "alerts", "0", "firing,", "0", "pending"],
    ] {
        assert!(
            record.lines().any(|line| words(line) == row),
            "{row:?} missing in:\n{record}"
        );
    }

    // A condition flag replaces the condition; what was not given stays.
    let updated = harness.ok(&[
        "alerts",
        "rules",
        "update",
        "emails-slow",
        "--backlog-above",
        "500",
        "--label",
        "env=prod",
    ]);
    assert_eq!(updated, "rule emails-slow updated\n");
    let spec = harness.json(&["alerts", "rules", "get", "emails-slow"])["spec"].clone();
    assert_eq!(spec["backlog"]["above"], "500");
    assert_eq!(spec["oldestPending"], Value::Null);
    assert_eq!(spec["queue"], "emails");
    assert_eq!(spec["severity"], "SEVERITY_CRITICAL");
    assert_eq!(spec["labels"]["team"], "mail");
    assert_eq!(spec["labels"]["env"], "prod");
    // A window alone changes the window of the stored condition.
    harness.ok(&["alerts", "rules", "update", "failures", "--window", "15m"]);
    let failures = harness.json(&["alerts", "rules", "get", "failures"]);
    assert_eq!(failures["spec"]["failureRate"]["window"], "900s");
    assert_eq!(failures["spec"]["failureRate"]["abovePercent"], 20.0);
    assert_eq!(failures["origin"], "RULE_ORIGIN_DEFAULT");

    assert_eq!(
        harness.ok(&["alerts", "rules", "disable", "emails-slow"]),
        "rule emails-slow disabled\n"
    );
    assert!(table_row(&harness.ok(&["alerts", "rules"]), "emails-slow").ends_with(" no"));
    assert_eq!(
        harness.json(&["alerts", "rules", "get", "emails-slow"])["spec"]["disabled"],
        true
    );
    harness.ok(&["alerts", "rules", "enable", "emails-slow"]);
    assert!(table_row(&harness.ok(&["alerts", "rules"]), "emails-slow").ends_with(" yes"));

    assert_eq!(
        harness.ok(&["alerts", "rules", "rm", "emails-slow"]),
        "rule emails-slow deleted\n"
    );
    let missing = harness.run(&["alerts", "rules", "get", "emails-slow"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("error: not found: rule emails-slow"),
        "{missing:?}"
    );
    // A default rule is deletable like any other.
    harness.ok(&["alerts", "rules", "rm", "disk"]);
    let left = harness.json(&["alerts", "rules"]);
    assert_eq!(left["rules"].as_array().expect("rules").len(), 3);
}

#[test]
fn alert_channels_name_their_secrets_and_never_show_them() {
    let harness = start();
    let url = "http://127.0.0.1:9/hook-url-sentinel";
    let signing = "signing-secret-sentinel";
    // The signing secret comes on stdin, so it is in neither the shell history nor `ps`.
    let added = run_with_stdin(
        &harness,
        &[
            "alerts",
            "channels",
            "add",
            "ops-hook",
            "--webhook-url",
            url,
            "--signing-secret",
            "-",
            "--min-severity",
            "warning",
            "--description",
            "on-call hook",
        ],
        &format!("{signing}\n"),
    );
    assert!(added.status.success(), "{added:?}");
    assert_eq!(
        String::from_utf8_lossy(&added.stdout),
        "channel ops-hook created; secrets set: url, signing_secret\n"
    );
    harness.ok(&[
        "alerts",
        "channels",
        "add",
        "mail",
        "--smtp-host",
        "smtp.example.com",
        "--smtp-username",
        "zenith",
        "--smtp-password",
        "smtp-password-sentinel",
        "--from",
        "Zenith <alerts@example.com>",
        "--to",
        "ops@example.com",
        "dev@example.com",
        "--disabled",
    ]);

    let table = harness.ok(&["alerts", "channels"]);
    assert_eq!(
        words(&table_row(&table, "ops-hook")),
        [
            "ops-hook",
            "webhook",
            "-",
            "warning",
            "yes",
            "url,",
            "signing_secret"
        ]
    );
    assert_eq!(
        words(&table_row(&table, "mail")),
        [
            "mail",
            "email",
            "smtp.example.com:587",
            "->",
            "ops@example.com,",
            "dev@example.com",
            "all",
            "no",
            "password"
        ]
    );
    let record = harness.ok(&["alerts", "channels", "get", "ops-hook"]);
    assert!(
        record
            .lines()
            .any(|line| words(line) == ["secrets", "set", "url,", "signing_secret"]),
        "{record}"
    );
    let json = harness.json(&["alerts", "channels", "get", "ops-hook"]);
    assert_eq!(json["spec"]["description"], "on-call hook");
    assert_eq!(
        json["secretsSet"],
        serde_json::json!(["url", "signing_secret"])
    );
    // A change that gives no secret keeps the stored ones.
    harness.ok(&[
        "alerts",
        "channels",
        "update",
        "ops-hook",
        "--description",
        "the on-call hook",
        "--min-severity",
        "critical",
    ]);
    let json = harness.json(&["alerts", "channels", "get", "ops-hook"]);
    assert_eq!(json["spec"]["minSeverity"], "SEVERITY_CRITICAL");
    assert_eq!(
        json["secretsSet"],
        serde_json::json!(["url", "signing_secret"])
    );
    // A kept password must not follow the channel to another port.
    let moved = harness.run(&[
        "alerts",
        "channels",
        "update",
        "mail",
        "--enabled",
        "--smtp-port",
        "2525",
    ]);
    assert!(!moved.status.success());
    let stderr = String::from_utf8_lossy(&moved.stderr);
    assert!(
        stderr.contains("spec.email.password: give it again: smtp_port changed"),
        "{stderr}"
    );
    assert_eq!(
        harness.json(&["alerts", "channels", "get", "mail"])["spec"]["email"]["smtpPort"],
        587
    );
    harness.ok(&[
        "alerts",
        "channels",
        "update",
        "mail",
        "--enabled",
        "--smtp-port",
        "2525",
        "--smtp-password",
        "smtp-password-sentinel",
    ]);
    let mail = harness.json(&["alerts", "channels", "get", "mail"]);
    assert_eq!(mail["spec"]["email"]["smtpPort"], 2525);
    assert_eq!(mail["spec"]["disabled"], Value::Null);
    assert_eq!(mail["secretsSet"], serde_json::json!(["password"]));

    let everything = [
        harness.ok(&["alerts", "channels"]),
        harness.ok(&["alerts", "channels", "get", "ops-hook"]),
        harness.ok(&["alerts", "channels", "get", "mail"]),
        harness.json(&["alerts", "channels"]).to_string(),
        harness
            .json(&["alerts", "channels", "get", "ops-hook"])
            .to_string(),
    ]
    .concat();
    for secret in [url, signing, "smtp-password-sentinel"] {
        assert!(
            !everything.contains(secret),
            "{secret} shown in:\n{everything}"
        );
    }

    assert_eq!(
        harness.ok(&["alerts", "channels", "rm", "ops-hook"]),
        "channel ops-hook deleted\n"
    );
    let missing = harness.run(&["alerts", "channels", "get", "ops-hook"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));
    let left = harness.json(&["alerts", "channels", "list"]);
    assert_eq!(left["channels"].as_array().expect("channels").len(), 1);
}

#[test]
fn alert_silences_are_created_listed_and_expired_and_alerts_start_empty() {
    let harness = start();
    let created = harness.ok(&[
        "alerts",
        "silence",
        "--rule",
        "backlog",
        "--queue",
        "emails",
        "--for",
        "2h",
        "--comment",
        "deploy window",
    ]);
    let id = created
        .strip_prefix("silence ")
        .and_then(|rest| rest.split_once(" created; active until "))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("{created}"));
    let later = harness.json(&[
        "alerts",
        "silence",
        "--service",
        "api",
        "--starts",
        "2099-01-01T00:00:00Z",
        "--until",
        "2099-01-02T00:00:00Z",
        "--comment",
        "planned",
    ]);
    assert_eq!(later["silence"]["state"], "SILENCE_STATE_PENDING");
    assert_eq!(later["silence"]["spec"]["endsAt"], "2099-01-02T00:00:00Z");

    let table = harness.ok(&["alerts", "silence", "list"]);
    assert!(table.starts_with("ID "), "{table}");
    let row = table_row(&table, &id);
    for cell in [
        " active ",
        " rule=backlog queue=emails ",
        " ago ",
        " in 1h59m ",
        " cli:",
        " deploy window",
    ] {
        assert!(row.contains(cell), "{cell} missing in {row}");
    }
    let author = harness.json(&["alerts", "silence", "list"])["silences"][1]["spec"]["author"]
        .as_str()
        .expect("author")
        .to_owned();
    assert!(author.starts_with("cli:"), "{author}");

    assert_eq!(
        harness.ok(&["alerts", "silence", "expire", &id]),
        format!("silence {id} expired\n")
    );
    let listed = harness.json(&["alerts", "silence", "list"]);
    let states: Vec<&str> = listed["silences"]
        .as_array()
        .expect("silences")
        .iter()
        .map(|silence| silence["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["SILENCE_STATE_PENDING"]);
    let all = harness.ok(&["alerts", "silence", "list", "--all"]);
    assert!(table_row(&all, &id).contains(" expired "), "{all}");

    assert_eq!(harness.ok(&["alerts", "list"]), "no alerts\n");
    assert_eq!(
        harness.ok(&["alerts", "list", "--state", "all"]),
        "no alerts\n"
    );
    let listed = harness.json(&["alerts", "list", "--rule", "backlog", "--queue", "emails"]);
    assert_eq!(listed["alerts"], serde_json::json!([]));
    assert_eq!(
        harness.ok(&["alerts", "notifications"]),
        "no notifications\n"
    );

    let unknown = "01a20786-e552-77ed-84b8-cbdb2b991138";
    for args in [
        vec!["alerts", "ack", unknown, "--comment", "on it"],
        vec!["alerts", "get", unknown],
    ] {
        let output = harness.run(&args);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!("error: not found: alert {unknown} not found\n")
        );
    }
    let output = harness.run(&["alerts", "ack", "nope"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("error: invalid argument: id:"),
        "{output:?}"
    );
}

#[test]
fn alert_bad_input_is_refused_naming_the_flag_or_field() {
    let harness = start();
    // Exit status 1 for the server's refusals and the CLI's own checks, 2 for clap's.
    let refused = |args: &[&str], status: i32, expected: &[&str]| {
        let output = harness.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(status),
            "zenith {args:?}: {stderr}"
        );
        for words in expected {
            assert!(stderr.contains(words), "zenith {args:?}: {stderr}");
        }
    };
    let add = |extra: &[&'static str]| {
        let mut args = vec!["alerts", "rules", "add", "bad"];
        args.extend_from_slice(extra);
        args
    };
    refused(&add(&[]), 2, &["required arguments", "--backlog-above"]);
    refused(
        &add(&["--node-lost", "--backlog-above", "5"]),
        2,
        &["cannot be used with"],
    );
    refused(
        &add(&["--node-lost", "--severity", "loud"]),
        2,
        &["unknown severity \"loud\""],
    );
    refused(
        &add(&["--archive-lag-above", "soon"]),
        2,
        &["invalid duration"],
    );
    refused(
        &add(&["--cpu-above", "150"]),
        1,
        &["error: invalid argument: spec.node_resource.above_percent"],
    );
    refused(
        &add(&["--node-lost", "--queue", "emails"]),
        1,
        &["spec.queue", "scope it with service"],
    );
    refused(
        &add(&["--backlog-above", "5", "--channel", "missing"]),
        1,
        &["spec.channels[0]", "channel missing not found"],
    );
    refused(
        &add(&["--node-lost", "--window", "5m"]),
        1,
        &["error: --window and --min-volume go with --failure-rate-above"],
    );
    refused(
        &["alerts", "rules", "update", "missing", "--for", "1m"],
        1,
        &["not found: rule missing"],
    );
    refused(
        &[
            "alerts",
            "channels",
            "add",
            "hook",
            "--webhook-url",
            "ftp://example.com/x",
        ],
        1,
        &["spec.webhook.url", "not an http or https URL"],
    );
    refused(
        &[
            "alerts",
            "channels",
            "add",
            "hook",
            "--slack-webhook-url",
            "https://hooks.slack.com/services/x",
            "--signing-secret",
            "s",
        ],
        1,
        &["--signing-secret is for webhook channels, not slack"],
    );
    refused(
        &["alerts", "channels", "add", "hook", "--description", "d"],
        2,
        &["--slack-webhook-url"],
    );
    refused(
        &["alerts", "silence", "--for", "1h", "--comment", "c"],
        2,
        &["--rule"],
    );
    refused(
        &[
            "alerts",
            "silence",
            "--rule",
            "r",
            "--for",
            "10s",
            "--comment",
            "c",
        ],
        1,
        &["spec.duration", "1 minute to 90 days"],
    );
    refused(
        &["alerts", "list", "--state", "done"],
        2,
        &["unknown alert state \"done\""],
    );
    // Nothing refused was stored.
    let rules = harness.json(&["alerts", "rules"]);
    assert_eq!(rules["rules"].as_array().expect("rules").len(), 4);
    let channels = harness.json(&["alerts", "channels"]);
    assert_eq!(channels["channels"], serde_json::json!([]));
}

#[test]
fn alerts_test_prints_the_delivery_and_fails_non_zero_when_it_failed() {
    let harness = start();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let receiver = runtime
        .block_on(zenith_testkit::HttpReceiver::start())
        .expect("start receiver");
    harness.ok(&[
        "alerts",
        "channels",
        "add",
        "hook",
        "--webhook-url",
        &receiver.url("/hook"),
        "--signing-secret",
        "s3cret",
    ]);
    let sent = harness.ok(&["alerts", "test", "hook"]);
    assert!(
        sent.starts_with("test message to channel hook delivered: status 200 in "),
        "{sent}"
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].header("x-zenith-signature").is_some());

    receiver.respond_with(vec![500]);
    let refused = harness.run(&["alerts", "test", "hook"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.starts_with("error: test message to channel hook failed: status 500 in "),
        "{stderr}"
    );

    // Nothing listens on a port just freed.
    let closed = format!("http://127.0.0.1:{}/hook", zenith_testkit::free_port());
    harness.ok(&[
        "alerts",
        "channels",
        "add",
        "closed",
        "--webhook-url",
        &closed,
    ]);
    let failed = harness.run(&["alerts", "test", "closed"]);
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.starts_with("error: test message to channel closed failed: no response in "),
        "{stderr}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
    let json = harness.run(&["alerts", "test", "closed", "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let delivery: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(delivery["delivery"]["state"], "DELIVERY_STATE_FAILED");
    assert_eq!(delivery["delivery"]["channelId"], "closed");

    // Each test message is in the delivery log.
    let table = harness.ok(&["alerts", "notifications"]);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(rows.iter().all(|row| row.contains(" test ")), "{table}");
    assert_eq!(
        rows.iter()
            .filter(|row| row.ends_with(" hook delivered"))
            .count(),
        1,
        "{table}"
    );
    assert_eq!(
        rows.iter()
            .filter(|row| row.ends_with(" closed failed"))
            .count(),
        2,
        "{table}"
    );
    let limited = harness.json(&["alerts", "notifications", "--limit", "1"]);
    assert_eq!(limited["notifications"].as_array().expect("list").len(), 1);
    let missing = harness.run(&["alerts", "test", "missing"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found: channel missing"));
}

/// Polls `zenith alerts … --json` until `ready` holds, failing the test after 30 s.
fn wait_for_json(harness: &Harness, args: &[&str], ready: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let value = harness.json(args);
        if ready(&value) {
            return value;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "zenith {args:?} never got there: {value}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_firing_alert_is_listed_shown_with_its_deliveries_and_acknowledged() {
    let redis = RedisServer::start().expect("start redis");
    let server = ZenithServer::start_with(
        Path::new(ZENITH),
        &redis.url(),
        &["--alert-evaluation-interval", "1s"],
    )
    .expect("start zenith");
    let harness = Harness {
        server,
        _redis: redis,
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let receiver = runtime
        .block_on(zenith_testkit::HttpReceiver::start())
        .expect("start receiver");
    harness.ok(&[
        "alerts",
        "channels",
        "add",
        "hook",
        "--webhook-url",
        &receiver.url("/hook"),
    ]);
    harness.ok(&[
        "alerts",
        "rules",
        "add",
        "emails-backlog",
        "--backlog-above",
        "0",
        "--queue",
        "emails",
        "--severity",
        "critical",
        "--channel",
        "hook",
    ]);
    enqueue(&harness, &["emails", "send_welcome"]);
    let listed = wait_for_json(&harness, &["alerts", "list"], |listed| {
        listed["alerts"][0]["state"] == "ALERT_STATE_FIRING"
    });
    let id = listed["alerts"][0]["id"].as_str().expect("id").to_owned();
    let table = harness.ok(&["alerts", "list", "--rule", "emails-backlog"]);
    let line = table_row(&table, &id);
    let row = words(&line);
    assert_eq!(
        row[..7],
        [
            id.as_str(),
            "firing",
            "critical",
            "emails-backlog",
            "queue:emails",
            row[5],
            "ago"
        ],
        "{table}"
    );
    assert!(table.contains(" queue emails has 1 pending job"), "{table}");
    assert_eq!(
        harness.ok(&["alerts", "list", "--state", "resolved"]),
        "no alerts\n"
    );

    wait_for_json(&harness, &["alerts", "get", &id], |alert| {
        alert["notifications"][0]["deliveries"][0]["state"] == "DELIVERY_STATE_DELIVERED"
    });
    let record = harness.ok(&["alerts", "get", &id]);
    for row in [
        vec!["state", "firing"],
        vec!["subject", "queue:emails"],
        vec!["labels", "queue=emails"],
        vec!["channel", "hook:", "delivered"],
    ] {
        assert!(
            record.lines().any(|line| words(line) == row),
            "{row:?} missing in:\n{record}"
        );
    }
    assert!(
        record.contains(" firing [FIRING] emails-backlog"),
        "{record}"
    );
    assert!(record.contains(" status 200 took "), "{record}");
    let notifications = harness.ok(&["alerts", "notifications", "--alert", &id]);
    let row = notifications.lines().nth(1).expect("one notification");
    assert!(row.contains(" firing "), "{notifications}");
    assert!(row.ends_with(" hook delivered"), "{notifications}");

    assert_eq!(
        harness.ok(&["alerts", "ack", &id, "--comment", "on it"]),
        format!("alert {id} acknowledged\n")
    );
    let table = harness.ok(&["alerts", "list"]);
    assert!(table_row(&table, &id).contains(" firing,acked "), "{table}");
    let record = harness.ok(&["alerts", "get", &id]);
    assert!(
        record
            .lines()
            .any(|line| words(line) == ["ack", "comment", "on", "it"]),
        "{record}"
    );
    assert!(
        table_row(&record, "acknowledged").contains(" by cli:"),
        "{record}"
    );
    let acked = harness.json(&["alerts", "get", &id]);
    assert_eq!(acked["alert"]["acknowledgeComment"], "on it");
    let rules = harness.ok(&["alerts", "rules"]);
    assert_eq!(
        words(&table_row(&rules, "emails-backlog"))[9..11],
        ["1", "0"],
        "{rules}"
    );
}
