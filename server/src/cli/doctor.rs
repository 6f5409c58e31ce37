//! `zenith doctor`: prints the deployment checks, one line each, with a fix under every
//! warning and failure.

use zenith_server::config::ServeConfig;
use zenith_server::doctor::{self, Finding, Options, Status, Target};

/// Runs the checks on every configured cluster; true when none failed.
pub async fn run(config: ServeConfig, json: bool) -> anyhow::Result<bool> {
    let mut reports = Vec::with_capacity(config.clusters.len());
    for cluster in &config.clusters {
        let target = Target {
            name: cluster.name.clone(),
            redis_url: cluster.redis_url.clone(),
            database_url: cluster.database_url.clone(),
        };
        let options = Options {
            prefix: cluster.prefix.clone(),
            redis_ca_cert: config.redis_ca_cert.clone(),
            data_dir: config.data_dir.clone(),
        };
        reports.push((target.name.clone(), doctor::check(&target, &options).await));
    }
    if json {
        let findings = reports
            .iter()
            .flat_map(|(cluster, findings)| {
                findings.iter().map(move |finding| {
                    let mut value = serde_json::to_value(finding)?;
                    value["cluster"] = cluster.as_str().into();
                    Ok(value)
                })
            })
            .collect::<serde_json::Result<Vec<_>>>()?;
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else if let [(_, findings)] = reports.as_slice() {
        print!("{}", render(findings));
    } else {
        for (cluster, findings) in &reports {
            print!("cluster {cluster}\n{}", render(findings));
        }
    }
    Ok(reports
        .iter()
        .flat_map(|(_, findings)| findings)
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
