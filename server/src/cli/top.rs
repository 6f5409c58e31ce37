//! `zenith top`: a live table of queues, redrawn from the server's WatchQueues stream.

use std::io::{IsTerminal as _, Write as _};
use std::time::SystemTime;

use anyhow::bail;
use clap::Args;
use zenith_proto::to_json;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::{QueueCounts, QueueRates, WatchQueuesRequest, WatchQueuesResponse};

use super::output::{Table, proto_duration};
use super::{ClientArgs, transport};

#[derive(Args)]
pub struct TopArgs {
    /// Only these queues [default: every queue].
    queues: Vec<String>,
    /// Print one frame and exit.
    #[arg(long)]
    once: bool,
}

/// Cursor home, then each line clears its rest, then everything below the frame is cleared:
/// a redraw in place without flicker.
const HOME: &str = "\x1b[H";
const CLEAR_LINE: &str = "\x1b[K";
const CLEAR_BELOW: &str = "\x1b[J";
const CLEAR_SCREEN: &str = "\x1b[2J";
const HIDE_CURSOR: &str = "\x1b[?25l";
const SHOW_CURSOR: &str = "\x1b[?25h";

pub async fn run(args: &ClientArgs, top: TopArgs) -> anyhow::Result<()> {
    let mut client = QueueServiceClient::new(transport(args).await?);
    let mut stream = client
        .watch_queues(WatchQueuesRequest { queues: top.queues })
        .await?
        .into_inner();
    let live = !top.once && !args.json && std::io::stdout().is_terminal();
    if live {
        print!("{HIDE_CURSOR}{CLEAR_SCREEN}");
    }
    let result = watch(&mut stream, live, top.once, args.json).await;
    if live {
        print!("{SHOW_CURSOR}");
        let _ = std::io::stdout().flush();
    }
    result
}

async fn watch(
    stream: &mut tonic::Streaming<WatchQueuesResponse>,
    live: bool,
    once: bool,
    json: bool,
) -> anyhow::Result<()> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let message = tokio::select! {
            message = stream.message() => message?,
            _ = &mut ctrl_c => return Ok(()),
        };
        let Some(message) = message else {
            bail!("the server ended the watch");
        };
        let mut out = std::io::stdout().lock();
        if json {
            writeln!(out, "{}", to_json(&message))?;
        } else if live {
            let frame = render(&message, terminal_rows().map(|rows| rows.saturating_sub(1)));
            write!(out, "{HOME}")?;
            for line in frame.lines() {
                writeln!(out, "{line}{CLEAR_LINE}")?;
            }
            write!(out, "{CLEAR_BELOW}")?;
        } else {
            write!(out, "{}", render(&message, None))?;
        }
        out.flush()?;
        if once {
            return Ok(());
        }
    }
}

/// The frame: a heading, a row per queue and a totals row. With `max_lines`, queues that do
/// not fit are summed up in one line so the frame never scrolls.
fn render(message: &WatchQueuesResponse, max_lines: Option<usize>) -> String {
    let mut table = Table::new(&[
        "QUEUE",
        "STATE",
        "PENDING>",
        "ACTIVE>",
        "SCHEDULED>",
        "RETRY>",
        "DEAD>",
        "COMPLETED>",
        "ENQUEUED/S>",
        "COMPLETED/S>",
        "FAILED/S>",
        "OLDEST PENDING",
    ]);
    let shown = match max_lines {
        // Heading, blank line, column titles, totals, and the "more" line.
        Some(lines) => lines.saturating_sub(5).min(message.queues.len()),
        None => message.queues.len(),
    };
    for snapshot in &message.queues[..shown] {
        let queue = snapshot.queue.clone().unwrap_or_default();
        table.row(row(
            &queue.name,
            if queue.paused { "paused" } else { "running" },
            &queue.counts.unwrap_or_default(),
            &snapshot.rates.unwrap_or_default(),
            proto_duration(queue.oldest_pending_age.as_ref()),
        ));
    }
    table.row(row(
        "total",
        "",
        &message.totals.unwrap_or_default(),
        &message.total_rates.unwrap_or_default(),
        String::new(),
    ));
    let mut frame = format!(
        "zenith top  {}  {} queues\n\n",
        humantime::format_rfc3339_seconds(SystemTime::now()),
        message.queues.len()
    );
    frame.push_str(&table.render());
    if shown < message.queues.len() {
        frame.push_str(&format!(
            "… {} more queues (name some: zenith top QUEUE…)\n",
            message.queues.len() - shown
        ));
    }
    frame
}

fn row(
    name: &str,
    state: &str,
    counts: &QueueCounts,
    rates: &QueueRates,
    oldest: String,
) -> Vec<String> {
    vec![
        name.to_owned(),
        state.to_owned(),
        counts.pending.to_string(),
        counts.active.to_string(),
        counts.scheduled.to_string(),
        counts.retry.to_string(),
        counts.dead.to_string(),
        counts.completed.to_string(),
        rate(rates.enqueued),
        rate(rates.completed),
        rate(rates.failed),
        oldest,
    ]
}

fn rate(per_second: f64) -> String {
    format!("{per_second:.2}")
}

/// The terminal's height, when stdout is one.
fn terminal_rows() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ only writes a winsize into the struct we pass.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_row > 0).then_some(size.ws_row as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zenith_proto::v1::{Queue, QueueSnapshot};

    fn message(queues: usize) -> WatchQueuesResponse {
        WatchQueuesResponse {
            queues: (0..queues)
                .map(|i| QueueSnapshot {
                    queue: Some(Queue {
                        name: format!("q{i}"),
                        counts: Some(QueueCounts {
                            pending: 2,
                            ..QueueCounts::default()
                        }),
                        ..Queue::default()
                    }),
                    rates: Some(QueueRates {
                        enqueued: 1.25,
                        ..QueueRates::default()
                    }),
                })
                .collect(),
            totals: Some(QueueCounts {
                pending: 2 * queues as i64,
                ..QueueCounts::default()
            }),
            total_rates: Some(QueueRates {
                enqueued: 1.25 * queues as f64,
                ..QueueRates::default()
            }),
        }
    }

    #[test]
    fn frames_list_queues_and_totals() {
        let frame = render(&message(2), None);
        let q0: Vec<&str> = frame
            .lines()
            .find(|line| line.starts_with("q0"))
            .expect("a row for q0")
            .split_whitespace()
            .collect();
        assert_eq!(q0[1..4], ["running", "2", "0"], "{frame}");
        assert!(
            frame.lines().last().unwrap().starts_with("total"),
            "{frame}"
        );
        assert!(frame.contains("2.50"), "{frame}");
    }

    #[test]
    fn frames_fit_the_terminal() {
        let frame = render(&message(50), Some(20));
        assert!(frame.lines().count() <= 20, "{frame}");
        assert!(frame.contains("more queues"), "{frame}");
    }
}
