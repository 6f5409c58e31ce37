//! `zenith doctor`: prints the deployment checks, one line each, with a fix under every
//! warning and failure.

use zenith_server::config::ServeConfig;
use zenith_server::doctor::{self, Finding, Options, Status, Target};

/// Runs the checks on the configured deployment; true when none failed.
pub async fn run(config: ServeConfig, json: bool) -> anyhow::Result<bool> {
    let target = Target {
        name: "default".into(),
        redis_url: config.redis_url,
        database_url: config.database_url,
    };
    let options = Options {
        prefix: config.prefix,
        redis_ca_cert: config.redis_ca_cert,
        data_dir: config.data_dir,
    };
    let findings = doctor::check(&target, &options).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        print!("{}", render(&findings));
    }
    Ok(findings
        .iter()
        .all(|finding| finding.status != Status::Fail))
}

/// `status  check  finding` with aligned columns, and `fix: …` indented under it.
fn render(findings: &[Finding]) -> String {
    let width = findings
        .iter()
        .map(|finding| finding.check.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for finding in findings {
        let status = finding.status.as_str();
        out.push_str(&format!(
            "{status:<4}  {:<width$}  {}\n",
            finding.check, finding.finding
        ));
        if let Some(fix) = &finding.fix {
            out.push_str(&format!("      fix: {fix}\n"));
        }
    }
    out
}
