//! `zenith nodes`: the processes that beat, grouped by service, with their health and load.

use std::time::SystemTime;

use clap::Args;
use zenith_proto::to_json;
use zenith_sdk::proto::{ListNodesRequest, ListNodesResponse, Node, NodeHealth, ServiceNodes};

use super::ClientArgs;
use super::ops::{connect, print_json};
use super::output::{Table, one_line, relative_timestamp};

/// Nodes per ListNodes page, the server's default.
const PAGE_SIZE: i32 = 1_000;

#[derive(Args)]
pub struct NodesArgs {
    /// Only this service.
    #[arg(long)]
    service: Option<String>,
    /// Only this language, e.g. rust, go, python, php.
    #[arg(long)]
    language: Option<String>,
    /// Only nodes in this health state: healthy, late or lost; repeatable.
    #[arg(long = "health", value_name = "HEALTH", value_parser = parse_health)]
    health: Vec<NodeHealth>,
}

fn parse_health(text: &str) -> Result<NodeHealth, String> {
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("NODE_HEALTH_").unwrap_or(&upper);
    match NodeHealth::from_str_name(&format!("NODE_HEALTH_{name}")) {
        Some(health) if health != NodeHealth::Unspecified => Ok(health),
        _ => Err(format!(
            "unknown health {text:?}; expected one of healthy, late, lost"
        )),
    }
}

pub async fn run(args: &ClientArgs, nodes: NodesArgs) -> anyhow::Result<()> {
    let client = connect(args).await?;
    let mut request = ListNodesRequest {
        service: nodes.service.unwrap_or_default(),
        language: nodes.language.unwrap_or_default(),
        health: nodes.health.iter().map(|health| *health as i32).collect(),
        page_size: PAGE_SIZE,
        page_token: String::new(),
    };
    let mut listing = ListNodesResponse::default();
    loop {
        let page = client.list_nodes(request.clone()).await?;
        listing.total_nodes = page.total_nodes;
        merge(&mut listing.services, page.services);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if args.json {
        return print_json(to_json(&listing), Some("services"));
    }
    if listing.services.is_empty() {
        println!("no nodes");
        return Ok(());
    }
    print!("{}", render(&listing.services, SystemTime::now()));
    Ok(())
}

/// Adds a page's groups; a service split over two pages becomes one group.
fn merge(services: &mut Vec<ServiceNodes>, page: Vec<ServiceNodes>) {
    for group in page {
        match services.last_mut() {
            Some(last) if last.service == group.service => {
                last.nodes.extend(group.nodes);
                // Each page counts only the nodes it holds.
                last.healthy += group.healthy;
                last.late += group.late;
                last.lost += group.lost;
            }
            _ => services.push(group),
        }
    }
}

fn render(services: &[ServiceNodes], now: SystemTime) -> String {
    let mut table = Table::new(&[
        "SERVICE",
        "NODE",
        "LANGUAGE",
        "HEALTH",
        "LAST BEAT",
        "CPU>",
        "MEMORY>",
        "JOBS>",
    ]);
    for group in services {
        for (index, node) in group.nodes.iter().enumerate() {
            let service = if index == 0 {
                one_line(&group.service, 40)
            } else {
                String::new()
            };
            table.row(node_row(service, node, now));
        }
    }
    table.render()
}

fn node_row(service: String, node: &Node, now: SystemTime) -> Vec<String> {
    let beat = node.beat.clone().unwrap_or_default();
    let identity = beat.identity.clone().unwrap_or_default();
    let process = beat.process.unwrap_or_default();
    let mut health = match node.health() {
        NodeHealth::Healthy => "healthy",
        NodeHealth::Late => "late",
        NodeHealth::Lost => "lost",
        NodeHealth::Unspecified => "-",
    }
    .to_owned();
    if node.health() != NodeHealth::Lost && (beat.quiet || node.quiet_requested) {
        health.push_str(" (quiet)");
    }
    let last_beat = if node.health() == NodeHealth::Lost {
        let since = node.lost_at.as_ref().or(node.last_beat_at.as_ref());
        format!("lost {}", relative_timestamp(since, now))
    } else {
        relative_timestamp(node.last_beat_at.as_ref(), now)
    };
    vec![
        service,
        one_line(&identity.node_id, 60),
        one_line(&identity.language, 12),
        health,
        last_beat,
        format!("{:.1}%", process.cpu_percent),
        bytes(process.memory_rss_bytes),
        beat.jobs.len().to_string(),
    ]
}

/// `812 KiB`, `120.4 MiB`, `2.1 GiB`.
fn bytes(count: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use zenith_sdk::proto::{BeatPayload, CurrentJob, NodeIdentity, ProcessStats};

    use super::*;

    #[test]
    fn health_parses_by_any_spelling() {
        assert_eq!(parse_health("late"), Ok(NodeHealth::Late));
        assert_eq!(parse_health("NODE_HEALTH_LOST"), Ok(NodeHealth::Lost));
        assert!(
            parse_health("dead")
                .unwrap_err()
                .contains("healthy, late, lost")
        );
        assert!(parse_health("unspecified").is_err());
    }

    #[test]
    fn bytes_are_short() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    fn node(id: &str, health: NodeHealth, beat_ago: u64, now: SystemTime) -> Node {
        Node {
            beat: Some(BeatPayload {
                identity: Some(NodeIdentity {
                    node_id: id.into(),
                    language: "rust".into(),
                    ..NodeIdentity::default()
                }),
                process: Some(ProcessStats {
                    cpu_percent: 12.34,
                    memory_rss_bytes: 2 * 1024 * 1024,
                    ..ProcessStats::default()
                }),
                jobs: vec![CurrentJob::default()],
                ..BeatPayload::default()
            }),
            health: health.into(),
            last_beat_at: Some((now - Duration::from_secs(beat_ago)).into()),
            lost_at: (health == NodeHealth::Lost).then(|| (now - Duration::from_secs(120)).into()),
            ..Node::default()
        }
    }

    #[test]
    fn the_table_groups_nodes_by_service() {
        let now = SystemTime::now();
        let services = vec![ServiceNodes {
            service: "billing".into(),
            nodes: vec![
                node("a:1:x", NodeHealth::Healthy, 3, now),
                node("b:2:y", NodeHealth::Lost, 200, now),
            ],
            ..ServiceNodes::default()
        }];
        let table = render(&services, now);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("SERVICE"), "{table}");
        assert!(lines[1].starts_with("billing  a:1:x"), "{table}");
        assert!(lines[1].contains("healthy  3s ago"), "{table}");
        assert!(lines[1].contains("12.3%  2.0 MiB"), "{table}");
        assert!(lines[2].trim_start().starts_with("b:2:y"), "{table}");
        assert!(lines[2].contains("lost 2m00s ago"), "{table}");
    }

    #[test]
    fn pages_of_one_service_merge() {
        let group = |service: &str, nodes: usize| ServiceNodes {
            service: service.into(),
            nodes: vec![Node::default(); nodes],
            healthy: nodes as i32,
            lost: 1,
            ..ServiceNodes::default()
        };
        let mut services = vec![group("a", 1)];
        merge(&mut services, vec![group("a", 2), group("b", 1)]);
        assert_eq!(services.len(), 2);
        assert_eq!(services[0].nodes.len(), 3);
        assert_eq!((services[0].healthy, services[0].lost), (3, 2));
    }
}
