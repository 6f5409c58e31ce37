//! Building the release server of the current checkout, for the benchmark and soak harnesses.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The workspace's target directory: CARGO_TARGET_DIR when set, otherwise the directory above
/// the profile directory this executable was built into (e.g. target/release/zenith-bench).
pub fn target_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(std::path::absolute(dir)?);
    }
    let exe = std::env::current_exe().context("locate the running executable")?;
    exe.ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .context("executable has no target directory above it")
}

/// Builds the release `zenith` binary into `target_dir` and returns its path, so a harness
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
