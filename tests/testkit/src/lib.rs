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
pub mod release;
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

/// A `redis-server` on a free loopback port, with its data in a temporary directory; or a
/// Redis Cluster of several such processes, when started with `start_cluster` or when
/// `ZENITH_TEST_REDIS_CLUSTER` is set (so a suite written for one server runs on a cluster).
pub struct RedisServer {
    /// One node per port; the first is the one `url` names.
    nodes: Vec<RedisNode>,
    dir: tempfile::TempDir,
    tls: Option<TlsFiles>,
    cluster: bool,
}

struct RedisNode {
    port: u16,
    child: Option<Child>,
}

/// PEM files of a TLS server: its certificate chain, its key, and the CA it trusts.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// Masters of the cluster `ZENITH_TEST_REDIS_CLUSTER` swaps in for one server.
const SUITE_CLUSTER_MASTERS: usize = 3;

impl RedisServer {
    /// Starts Redis with append-only persistence on, so a restart keeps the data.
    pub fn start() -> anyhow::Result<Self> {
        if std::env::var_os("ZENITH_TEST_REDIS_CLUSTER").is_some_and(|value| value != "0") {
            return Self::start_cluster(SUITE_CLUSTER_MASTERS, 0);
        }
        Self::launch(1, None, false)
    }

    /// Starts Redis speaking only TLS (`rediss://`, see `tls_url`) with the given files;
    /// clients need no certificate of their own.
    pub fn start_tls(files: TlsFiles) -> anyhow::Result<Self> {
        Self::launch(1, Some(files), false)
    }

    /// Starts a Redis Cluster on loopback: `masters` primaries sharing the slots, each with
    /// `replicas` replicas, a 2 s node timeout so a failover takes seconds.
    pub fn start_cluster(masters: usize, replicas: usize) -> anyhow::Result<Self> {
        let server = Self::launch(masters * (1 + replicas), None, true)?;
        let mut create = Command::new(redis_cli_binary());
        create.arg("--cluster").arg("create");
        for node in &server.nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        let output = create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .context("run redis-cli --cluster create (install redis-tools)")?;
        if !output.status.success() {
            bail!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        server.wait_for_cluster(masters)?;
        Ok(server)
    }

    fn launch(nodes: usize, tls: Option<TlsFiles>, cluster: bool) -> anyhow::Result<Self> {
        let mut server = Self {
            nodes: (0..nodes)
                .map(|_| RedisNode {
                    port: free_port(),
                    child: None,
                })
                .collect(),
            dir: tempfile::tempdir()?,
            tls,
            cluster,
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        for index in 0..self.nodes.len() {
            self.spawn_node(index)?;
        }
        Ok(())
    }

    fn spawn_node(&mut self, index: usize) -> anyhow::Result<()> {
        let port = self.nodes[index].port;
        let dir = if self.cluster {
            self.dir.path().join(port.to_string())
        } else {
            self.dir.path().to_owned()
        };
        std::fs::create_dir_all(&dir)?;
        let port_arg = port.to_string();
        let mut command = Command::new(redis_server_binary());
        match &self.tls {
            None => command.args(["--port", &port_arg]),
            Some(tls) => command
                .args([
                    "--port",
                    "0",
                    "--tls-port",
                    &port_arg,
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
        if self.cluster {
            command.args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
            ]);
        }
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
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start redis-server (install it: apt-get install redis-server)")?;
        self.nodes[index].child = Some(child);
        wait_for_port(port, Duration::from_secs(10))
    }

    /// Waits until every running node sees the cluster healthy with `masters` primaries.
    fn wait_for_cluster(&self, masters: usize) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < Duration::from_secs(30) {
            let healthy = self
                .nodes
                .iter()
                .filter(|node| node.child.is_some())
                .all(|node| {
                    let views = redis_cli(node.port, &["CLUSTER", "INFO"])
                        .and_then(|info| Ok((info, redis_cli(node.port, &["CLUSTER", "NODES"])?)));
                    match views {
                        // Gossip spreads roles after the slots: wait until this node sees
                        // exactly `masters` live primaries.
                        Ok((info, nodes)) => {
                            let primaries = nodes
                                .lines()
                                .filter_map(ClusterNodeView::parse)
                                .filter(|view| view.primary)
                                .count();
                            let ok = info.contains("cluster_state:ok")
                                && info.contains(&format!("cluster_size:{masters}"))
                                && primaries == masters;
                            last = format!("{info}\n{nodes}");
                            ok
                        }
                        Err(error) => {
                            last = error.to_string();
                            false
                        }
                    }
                });
            if healthy {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("redis cluster not healthy within 30 s: {last}")
    }

    /// Whether this is a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// The ports of the cluster's current primaries (the one server's port otherwise).
    pub fn primary_ports(&self) -> anyhow::Result<Vec<u16>> {
        if !self.cluster {
            return Ok(vec![self.port()]);
        }
        Ok(self
            .cluster_nodes()?
            .into_iter()
            .filter(|node| node.primary && node.connected)
            .map(|node| node.port)
            .collect())
    }

    fn cluster_nodes(&self) -> anyhow::Result<Vec<ClusterNodeView>> {
        let node = self
            .nodes
            .iter()
            .find(|node| node.child.is_some())
            .context("no redis node running")?;
        let text = redis_cli(node.port, &["CLUSTER", "NODES"])?;
        Ok(text.lines().filter_map(ClusterNodeView::parse).collect())
    }

    /// Fails one primary over to its replica and waits until the cluster is healthy again.
    /// `kill`: SIGKILL the primary, so the replica takes over on its own after the node
    /// timeout and writes not yet replicated are lost (what Redis documents); otherwise a
    /// coordinated `CLUSTER FAILOVER` that loses nothing. Returns the old primary's port.
    pub fn fail_over(&mut self, kill: bool) -> anyhow::Result<u16> {
        let nodes = self.cluster_nodes()?;
        let (replica, primary) = nodes
            .iter()
            .filter(|node| !node.primary && node.connected)
            .find_map(|replica| {
                let primary = nodes
                    .iter()
                    .find(|node| Some(&node.id) == replica.primary_id.as_ref())?;
                Some((replica.port, primary.port))
            })
            .context("no replica to fail over to")?;
        let masters = nodes.iter().filter(|node| node.primary).count();
        if kill {
            let node = self
                .nodes
                .iter_mut()
                .find(|node| node.port == primary)
                .context("primary is not ours")?;
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        } else {
            redis_cli(replica, &["CLUSTER", "FAILOVER"])?;
        }
        let started = Instant::now();
        loop {
            let role = redis_cli(replica, &["ROLE"]).unwrap_or_default();
            if role.starts_with("master") {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("replica on {replica} did not take over within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.wait_for_cluster(masters)?;
        Ok(primary)
    }

    /// Starts a node stopped by `fail_over(true)` again; it rejoins as a replica.
    pub fn restart_node(&mut self, port: u16) -> anyhow::Result<()> {
        let index = self
            .nodes
            .iter()
            .position(|node| node.port == port)
            .context("no such node")?;
        self.spawn_node(index)
    }

    pub fn port(&self) -> u16 {
        self.nodes[0].port
    }

    /// The first node's URL; on a cluster, Zenith finds the other nodes from it.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port())
    }

    /// `rediss://127.0.0.1:PORT`, for a server started with `start_tls`.
    pub fn tls_url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port())
    }

    /// Stops Redis; data written so far stays on disk for `start_again`.
    pub fn stop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                stop_child(&mut child);
            }
        }
    }

    /// Starts Redis again on the same ports and data directories (a cluster re-forms from
    /// each node's `nodes.conf`).
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.spawn()?;
        if self.cluster {
            let masters = self.cluster_nodes()?.iter().filter(|n| n.primary).count();
            self.wait_for_cluster(masters)?;
        }
        Ok(())
    }

    /// A connection for asserting on raw state (the first node's, on a cluster).
    pub async fn connection(&self) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url())?;
        Ok(client.get_multiplexed_async_connection().await?)
    }

    /// A connection that follows the cluster's redirects (a plain one on one server).
    pub async fn cluster_connection(
        &self,
    ) -> anyhow::Result<redis::cluster_async::ClusterConnection> {
        let client = redis::cluster::ClusterClient::new(vec![self.url()])?;
        Ok(client.get_async_connection().await?)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One line of `CLUSTER NODES`.
struct ClusterNodeView {
    id: String,
    port: u16,
    primary: bool,
    connected: bool,
    primary_id: Option<String>,
}

impl ClusterNodeView {
    fn parse(line: &str) -> Option<Self> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let port = fields.get(1)?.split(['@', ':']).nth(1)?.parse().ok()?;
        let flags = fields.get(2)?;
        Some(Self {
            id: fields.first()?.to_string(),
            port,
            primary: flags.contains("master") && !flags.contains("fail"),
            connected: fields.get(7) == Some(&"connected") && !flags.contains("fail"),
            primary_id: fields
                .get(3)
                .filter(|id| **id != "-")
                .map(|id| id.to_string()),
        })
    }
}

/// Runs one `redis-cli` command against a loopback port and returns its output.
fn redis_cli(port: u16, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(redis_cli_binary())
        .args(["-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("run redis-cli (install redis-tools)")?;
    if !output.status.success() {
        bail!("redis-cli {args:?} on {port} failed");
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn redis_cli_binary() -> PathBuf {
    std::env::var_os("ZENITH_TEST_REDIS_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-cli"))
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
