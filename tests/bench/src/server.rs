//! Finding the target directory, building the release server into it, and reading its memory.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The workspace's target directory: CARGO_TARGET_DIR when set, otherwise the directory above
/// the profile directory this executable was built into (target/release/zenith-bench).
pub fn target_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(std::path::absolute(dir)?);
    }
    let exe = std::env::current_exe().context("locate the bench executable")?;
    exe.ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .context("bench executable has no target directory above it")
}

/// Builds the release `zenith` binary into `target_dir` and returns its path, so the bench
/// always measures the server of the current checkout.
pub fn build_release(target_dir: &Path) -> anyhow::Result<PathBuf> {
    // `cargo run` sets CARGO to the cargo that built us; plain `cargo` is the fallback.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "zenith-server",
            "--bin",
            "zenith",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .context("run cargo build for the server")?;
    if !status.success() {
        bail!("building the release server failed ({status})");
    }
    let binary = target_dir.join("release").join("zenith");
    if !binary.is_file() {
        bail!("built server not found at {}", binary.display());
    }
    Ok(binary)
}

/// Peak resident memory of a process in MiB (VmHWM), which the kernel tracks for its lifetime.
pub fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("read /proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in the server's /proc status")?;
    Ok(kib / 1024.0)
}
