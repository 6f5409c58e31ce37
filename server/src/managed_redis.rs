//! Finds Redis for a user who gave no URL: one answering on 127.0.0.1:6379, or a
//! `redis-server` this process starts (loopback, free port, AOF on) and stops on exit.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

pub struct ManagedRedis {
    child: Child,
    pub url: String,
    url_file: PathBuf,
}

const DEFAULT_ADDR: ([u8; 4], u16) = ([127, 0, 0, 1], 6379);
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// Where a running managed Redis's URL is written (under the data directory), for
/// `zenith doctor` to find it: its port is picked at random.
const URL_FILE: &str = "redis/url";

/// Whether a Redis answers on 127.0.0.1:6379, the one used when no URL is given.
pub fn default_answers() -> bool {
    let default = SocketAddr::from(DEFAULT_ADDR);
    TcpStream::connect_timeout(&default, Duration::from_millis(200)).is_ok()
}

/// The URL of the managed Redis a `zenith serve` with this data directory runs, if one answers.
pub fn running_url(data_dir: &Path) -> Option<String> {
    let url = std::fs::read_to_string(data_dir.join(URL_FILE)).ok()?;
    let port: u16 = url.trim().rsplit_once(':')?.1.parse().ok()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // A file left by a crashed server names a port nothing answers on.
    TcpStream::connect_timeout(&addr, Duration::from_millis(200))
        .is_ok()
        .then(|| url.trim().to_owned())
}

/// Whether `redis-server` is on PATH, so a managed Redis can be started.
pub fn can_start() -> bool {
    which("redis-server").is_ok()
}

/// The Redis URL to use, and the child process when this process started Redis itself.
pub async fn find_or_start(data_dir: &Path) -> anyhow::Result<(String, Option<ManagedRedis>)> {
    if default_answers() {
        tracing::info!("using the redis answering on 127.0.0.1:6379");
        return Ok((DEFAULT_URL.into(), None));
    }
    let Ok(binary) = which("redis-server") else {
        bail!(
            "no redis: nothing answers on 127.0.0.1:6379 and redis-server is not on PATH; \
             install it (apt-get install redis-server, brew install redis) or pass --redis-url"
        );
    };
    let dir = data_dir.join("redis");
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(binary)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--appendonly",
            "yes",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
        ])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        // Its own process group: a terminal's Ctrl-C must reach only zenith, which drains
        // in-flight calls and then stops Redis itself.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .context("start redis-server")?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            bail!("managed redis-server did not listen on {addr} within 10s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let url = format!("redis://127.0.0.1:{port}");
    let url_file = data_dir.join(URL_FILE);
    if let Err(error) = std::fs::write(&url_file, &url) {
        tracing::warn!(%error, path = %url_file.display(), "could not record the managed redis url");
    }
    tracing::info!(%url, dir = %dir.display(), "started a managed redis-server");
    Ok((
        url.clone(),
        Some(ManagedRedis {
            child,
            url,
            url_file,
        }),
    ))
}

fn which(name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").context("PATH is not set")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .with_context(|| format!("{name} not found on PATH"))
}

impl ManagedRedis {
    /// Asks Redis to shut down cleanly (flushing its AOF), then waits for it.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        let _ = std::fs::remove_file(&self.url_file);
        tracing::info!(url = %self.url, "stopped the managed redis-server");
    }
}
