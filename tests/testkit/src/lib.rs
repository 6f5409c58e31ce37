//! Real processes for tests and benchmarks: Redis, PostgreSQL and Zenith servers on free
//! loopback ports, each stopped when dropped, HTTP and SMTP receivers for alerting tests, and
//! a TCP fault proxy for network faults. Nothing here is a mock.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub mod otlp;
pub mod proxy;
pub mod receivers;
pub use otlp::{OtlpReceiver, ReceivedSpan};
pub use proxy::FaultProxy;
pub use receivers::{HttpReceiver, ReceivedRequest, SmtpMessage, SmtpSink};

/// A free TCP port on 127.0.0.1, as the OS hands it out.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind an ephemeral loopback port")
}

fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while started.elapsed() < timeout {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("nothing listened on 127.0.0.1:{port} within {timeout:?}")
}

fn stop_child(child: &mut Child) {
    // SIGTERM first so servers shut down cleanly; SIGKILL if they take too long.
    send_sigterm(child.id());
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn send_sigterm(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

/// A `redis-server` on a free loopback port, with its data in a temporary directory.
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    tls: Option<TlsFiles>,
}

/// PEM files of a TLS server: its certificate chain, its key, and the CA it trusts.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

impl RedisServer {
    /// Starts Redis with append-only persistence on, so a restart keeps the data.
    pub fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut server = Self {
            port: free_port(),
            dir,
            child: None,
            tls: None,
        };
        server.spawn()?;
        Ok(server)
    }

    /// Starts Redis speaking only TLS (`rediss://`, see `tls_url`) with the given files;
    /// clients need no certificate of their own.
    pub fn start_tls(files: TlsFiles) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut server = Self {
            port: free_port(),
            dir,
            child: None,
            tls: Some(files),
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let port = self.port.to_string();
        let mut command = Command::new(redis_server_binary());
        match &self.tls {
            None => command.args(["--port", &port]),
            Some(tls) => command
                .args([
                    "--port",
                    "0",
                    "--tls-port",
                    &port,
                    "--tls-auth-clients",
                    "no",
                ])
                .arg("--tls-cert-file")
                .arg(&tls.cert)
                .arg("--tls-key-file")
                .arg(&tls.key)
                .arg("--tls-ca-cert-file")
                .arg(&tls.ca),
        };
        let child = command
            .args([
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
            ])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start redis-server (install it: apt-get install redis-server)")?;
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `rediss://127.0.0.1:PORT`, for a server started with `start_tls`.
    pub fn tls_url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port)
    }

    /// Stops Redis; data written so far stays on disk for `start_again`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
    }

    /// Starts Redis again on the same port and data directory.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.spawn()
    }

    /// A connection for asserting on raw state.
    pub async fn connection(&self) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url())?;
        Ok(client.get_multiplexed_async_connection().await?)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn redis_server_binary() -> PathBuf {
    std::env::var_os("ZENITH_TEST_REDIS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-server"))
}

/// A PostgreSQL server on a free loopback port, with a fresh cluster in a temporary directory.
/// As root it runs as the `postgres` user, since PostgreSQL refuses to run as root.
pub struct PostgresServer {
    port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    tls: bool,
}

impl PostgresServer {
    /// Makes a cluster with a superuser `zenith` (no password, loopback only) and starts it.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_inner(None)
    }

    /// Like `start`, with TLS on (`ssl=on`) with this PEM certificate and key; clients may
    /// still connect in plaintext unless they ask for `sslmode=require` or stricter.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> anyhow::Result<Self> {
        Self::start_inner(Some((cert_pem, key_pem)))
    }

    fn start_inner(tls: Option<(&str, &str)>) -> anyhow::Result<Self> {
        let bin = postgres_bin_dir()?;
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data)?;
        if let Some((cert_pem, key_pem)) = tls {
            use std::os::unix::fs::PermissionsExt;
            // PostgreSQL refuses a key that others can read.
            std::fs::write(dir.path().join("server.crt"), cert_pem)?;
            let key = dir.path().join("server.key");
            std::fs::write(&key, key_pem)?;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
        }
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()?;
            anyhow::ensure!(status.success(), "chown the postgres data directory");
        }
        let output = as_postgres(&bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "zenith",
                "--no-sync",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(&data)
            .output()
            .context("run initdb (install it: apt-get install postgresql)")?;
        anyhow::ensure!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut server = Self {
            port: free_port(),
            bin,
            dir,
            child: None,
            tls: tls.is_some(),
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let mut command = as_postgres(&self.bin.join("postgres"));
        if self.tls {
            command
                .args(["-c", "ssl=on", "-c"])
                .arg(format!(
                    "ssl_cert_file={}",
                    self.dir.path().join("server.crt").display()
                ))
                .arg("-c")
                .arg(format!(
                    "ssl_key_file={}",
                    self.dir.path().join("server.key").display()
                ));
        }
        let child = command
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start postgres")?;
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(20))?;
        // The port opens a moment before the server accepts logins; psql says when.
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if self.psql("postgres", "SELECT 1").is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("postgres on port {} did not accept connections", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// URL of the `postgres` database.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://zenith@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> anyhow::Result<String> {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""))?;
        Ok(self.database_url(name))
    }

    /// Runs one SQL statement with psql and returns what it printed (unaligned, tuples only).
    pub fn psql(&self, database: &str, sql: &str) -> anyhow::Result<String> {
        let output = Command::new(self.bin.join("psql"))
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "zenith",
                "-d",
                database,
                "-c",
                sql,
            ])
            .output()
            .context("run psql")?;
        anyhow::ensure!(
            output.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Stops PostgreSQL (fast shutdown); the data stays for `start_again`.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // The postmaster may run under runuser; signal the postmaster itself.
        let pid_file = self.dir.path().join("data").join("postmaster.pid");
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
        {
            let _ = Command::new("kill").args(["-INT", &pid]).status();
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        stop_child(&mut child);
    }

    /// Starts PostgreSQL again on the same port and data.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.spawn()
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| output.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root, else as ourselves.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// `ZENITH_TEST_POSTGRES_BIN`, else the newest `/usr/lib/postgresql/<version>/bin`.
fn postgres_bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("ZENITH_TEST_POSTGRES_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("find postgresql (install it: apt-get install postgresql)")?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .context("no postgresql server under /usr/lib/postgresql (apt-get install postgresql)")
}

/// The `zenith` binary built next to the running test or benchmark executable.
pub fn zenith_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("ZENITH_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    // Test executables live in target/<profile>/deps, binaries in target/<profile>.
    for dir in exe.ancestors().skip(1).take(2) {
        let candidate = dir.join("zenith");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "zenith binary not found next to {}; build it first (cargo build -p zenith-server)",
        exe.display()
    )
}

/// A `zenith serve` process on a free loopback port.
pub struct ZenithServer {
    port: u16,
    child: Option<Child>,
    database_url: String,
    _dir: tempfile::TempDir,
}

impl ZenithServer {
    /// Starts `zenith serve` against the given Redis, with a fresh SQLite database (unless
    /// `extra_args` has a `--database-url`) and any extra flags.
    pub fn start(redis_url: &str, extra_args: &[&str]) -> anyhow::Result<Self> {
        Self::start_with(&zenith_binary()?, redis_url, extra_args)
    }

    pub fn start_with(binary: &Path, redis_url: &str, extra_args: &[&str]) -> anyhow::Result<Self> {
        Self::start_with_env(binary, redis_url, extra_args, &[], Stdio::inherit())
    }

    /// Like [`ZenithServer::start_with`], with extra environment variables (they override
    /// `RUST_LOG`) and stderr sent where the caller says.
    pub fn start_with_env(
        binary: &Path,
        redis_url: &str,
        extra_args: &[&str],
        env: &[(&str, &str)],
        stderr: Stdio,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let port = free_port();
        let given = extra_args
            .iter()
            .position(|arg| *arg == "--database-url")
            .and_then(|i| extra_args.get(i + 1));
        let database_url = match given {
            Some(url) => (*url).to_owned(),
            None => format!("sqlite://{}", dir.path().join("zenith.db").display()),
        };
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--redis-url", redis_url]);
        if given.is_none() {
            command.args(["--database-url", &database_url]);
        }
        let child = command
            .args(extra_args)
            .current_dir(dir.path())
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let mut server = Self {
            port,
            child: Some(child),
            database_url,
            _dir: dir,
        };
        if let Err(error) = wait_for_port(port, Duration::from_secs(30)) {
            server.stop();
            return Err(error);
        }
        Ok(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, for gRPC clients and the CLI's `--server`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The SQL database the server uses.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Runs `zenith serve` with these flags when it is expected to refuse to start: waits up
    /// to `timeout` for it to exit and returns its exit code and what it printed on stderr.
    /// An error if it is still running then (it is stopped).
    pub fn run_expecting_exit(
        binary: &Path,
        redis_url: &str,
        extra_args: &[&str],
        timeout: Duration,
    ) -> anyhow::Result<(Option<i32>, String)> {
        let dir = tempfile::tempdir()?;
        let mut child = Command::new(binary)
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{}", free_port())])
            .args(["--redis-url", redis_url])
            .arg("--database-url")
            .arg(format!(
                "sqlite://{}",
                dir.path().join("zenith.db").display()
            ))
            .args(extra_args)
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = child.try_wait()? {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    std::io::Read::read_to_string(&mut pipe, &mut stderr)?;
                }
                return Ok((status.code(), stderr));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        stop_child(&mut child);
        bail!("zenith serve {extra_args:?} was still running after {timeout:?}")
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        stop_child(&mut child);
        child.wait().ok().and_then(|status| status.code())
    }
}

impl Drop for ZenithServer {
    fn drop(&mut self) {
        self.stop();
    }
}
