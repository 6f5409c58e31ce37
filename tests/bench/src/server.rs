//! Reading the server's memory.

use anyhow::Context;

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
