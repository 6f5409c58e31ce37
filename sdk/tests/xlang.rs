//! Every SDK on one wire: the Go SDK enqueues 1,000 jobs, a Python worker and a PHP worker share
//! them, and this Rust client checks that each job completed exactly once, by one of them; pulse
//! nodes of all four languages show up in `ListNodes`.
//!
//! It needs the Go, Python and PHP SDKs' toolchains (what `clients/*/run-tests` install), so it
//! is ignored by a plain `cargo test`; `scripts/test` runs it after the SDK suites with
//! `cargo test -p zenith-sdk --test xlang -- --ignored`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zenith_sdk::proto::ListNodesRequest;
use zenith_sdk::{Client, JobState, PulseAgent};
use zenith_testkit::{RedisServer, ZenithServer};

const JOBS: usize = 1000;
const QUEUE: &str = "xlang";
const JOB_TYPE: &str = "xlang";
const PATIENCE: Duration = Duration::from_secs(120);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A program of another SDK, stopped with SIGTERM (a clean exit is part of the test) or killed
/// when the test fails first.
struct Program {
    name: &'static str,
    child: Child,
}

impl Program {
    fn start(name: &'static str, command: &mut Command) -> Self {
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("start the {name} program {command:?}: {error}"));
        Self { name, child }
    }

    /// SIGTERM, then waits for a graceful exit with status 0.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {} ({pid})", self.name);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll child") {
                assert!(status.success(), "{} exited with {status}", self.name);
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} did not stop within 30 s of SIGTERM",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Builds a `main` package of the Go SDK into `dir`.
fn go_build(package: &str, dir: &Path) -> PathBuf {
    let binary = dir.join(package.rsplit('/').next().unwrap());
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(package)
        .current_dir(repo_root().join("clients/go"))
        .status()
        .expect("run go build (is Go installed?)");
    assert!(status.success(), "go build {package}");
    binary
}

fn python() -> PathBuf {
    std::env::var_os("ZENITH_XLANG_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/python-venv/bin/python"))
}

async fn wait_for_nodes(client: &Client, services: &[&str]) -> HashMap<String, String> {
    let started = Instant::now();
    loop {
        let nodes = client
            .list_nodes(ListNodesRequest::default())
            .await
            .expect("list nodes");
        let languages: HashMap<String, String> = nodes
            .services
            .iter()
            .flat_map(|service| &service.nodes)
            .filter_map(|node| node.beat.as_ref()?.identity.as_ref())
            .map(|identity| (identity.service.clone(), identity.language.clone()))
            .collect();
        if services
            .iter()
            .all(|service| languages.contains_key(*service))
        {
            return languages;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "nodes of {services:?} not all listed within {PATIENCE:?}: {languages:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Go, Python and PHP SDK toolchains; scripts/test runs it"]
async fn go_enqueues_python_and_php_work_rust_checks_each_job_ran_once() {
    let redis = RedisServer::start().unwrap();
    let server = ZenithServer::start(&redis.url(), &[]).unwrap();
    let url = server.url();
    let client = Client::connect(url.clone()).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let go_enqueue = go_build("./examples/enqueue", scratch.path());
    let go_worker = go_build("./examples/worker", scratch.path());

    let rust_pulse = PulseAgent::builder(client.clone())
        .service("xlang-rust")
        .start();
    // The Go worker serves a queue of its own: it is here for its pulse.
    let go = Program::start(
        "go worker",
        Command::new(&go_worker).args([
            "-server", &url, "-queue", "xlang-go", "-type", JOB_TYPE, "-service", "xlang-go",
        ]),
    );
    let python = Program::start(
        "python worker",
        Command::new(python())
            .arg(repo_root().join("clients/python/examples/worker.py"))
            .args(["--server", &url, "--queue", QUEUE, "--type", JOB_TYPE])
            .args(["--service", "xlang-python"]),
    );
    let php = Program::start(
        "php worker",
        Command::new("php")
            .arg(repo_root().join("clients/php/examples/worker.php"))
            .arg(format!("--server={url}"))
            .arg(format!("--queue={QUEUE}"))
            .arg(format!("--type={JOB_TYPE}"))
            .arg("--service=xlang-php"),
    );
    // Both workers are up (they beat at start) before any job exists, so they share the jobs.
    let languages = wait_for_nodes(
        &client,
        &["xlang-rust", "xlang-go", "xlang-python", "xlang-php"],
    )
    .await;
    for (service, language) in [
        ("xlang-rust", "rust"),
        ("xlang-go", "go"),
        ("xlang-python", "python"),
        ("xlang-php", "php"),
    ] {
        assert_eq!(languages[service], language, "{service}");
    }

    let enqueued = Command::new(&go_enqueue)
        .args(["-server", &url, "-queue", QUEUE, "-type", JOB_TYPE])
        .args(["-count", &JOBS.to_string()])
        .output()
        .expect("run the go enqueue program");
    assert!(enqueued.status.success(), "{enqueued:?}");
    let stdout = String::from_utf8_lossy(&enqueued.stdout);
    assert_eq!(stdout.lines().last(), Some(JOBS.to_string().as_str()));

    let started = Instant::now();
    let counts = loop {
        let counts = client.get_queue(QUEUE).await.unwrap().counts.unwrap();
        if counts.completed as usize >= JOBS
            && counts.pending + counts.active + counts.retry + counts.scheduled == 0
        {
            break counts;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "jobs not all completed within {PATIENCE:?}: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(counts.completed as usize, JOBS, "{counts:?}");
    assert_eq!(counts.dead + counts.cancelled, 0, "{counts:?}");

    let mut numbers = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut by_language: HashMap<String, usize> = HashMap::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_jobs(QUEUE, JobState::Completed)
            .page_size(500)
            .page_token(page_token)
            .page()
            .await
            .unwrap();
        for job in &page.jobs {
            assert!(ids.insert(job.id.clone()), "job {} listed twice", job.id);
            assert_eq!(
                job.attempts, 1,
                "job {} ran more than once: {job:?}",
                job.id
            );
            let payload: serde_json::Value = serde_json::from_slice(&job.payload).unwrap();
            let result: serde_json::Value = serde_json::from_slice(&job.result)
                .unwrap_or_else(|error| panic!("job {} result: {error}: {job:?}", job.id));
            assert_eq!(result["n"], payload["n"], "job {}", job.id);
            let by = result["by"].as_str().unwrap_or_default().to_owned();
            assert!(
                by == "python" || by == "php",
                "job {} done by {by:?}",
                job.id
            );
            *by_language.entry(by).or_default() += 1;
            numbers.insert(payload["n"].as_u64().unwrap());
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(ids.len(), JOBS);
    assert_eq!(numbers, (0..JOBS as u64).collect::<BTreeSet<_>>());
    assert!(
        by_language.get("python").copied().unwrap_or(0) > 0
            && by_language.get("php").copied().unwrap_or(0) > 0,
        "both workers take a share: {by_language:?}"
    );

    python.terminate();
    php.terminate();
    go.terminate();
    rust_pulse.shutdown().await;
}
