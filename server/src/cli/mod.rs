//! The operator CLI: talks gRPC to a Zenith server through the Rust SDK.

mod actions;
mod alerts;
mod bulk;
mod clusters;
mod cron;
pub mod doctor;
mod keys;
mod logs;
mod metrics;
mod nodes;
mod ops;
mod output;
mod search;
mod top;
mod work;

use std::time::Duration;

use clap::{Args, Subcommand};
use tonic::service::interceptor::InterceptedService;
use zenith_sdk::{Client, DEFAULT_SERVER_URL, JobState, Transport};
use zenith_server::config::LogFormat;
use zenith_server::telemetry;

pub use alerts::AlertsCommand;
pub use bulk::BulkCommand;
pub use cron::CronCommand;
pub use keys::KeysArgs;
pub use logs::LogsArgs;
pub use metrics::QueuesCommand;
pub use nodes::NodesArgs;
pub use ops::{EnqueueArgs, JobsCommand};
pub use search::SearchArgs;
pub use top::TopArgs;
pub use work::WorkArgs;

/// Flags every client subcommand takes.
#[derive(Args, Debug)]
pub struct ClientArgs {
    /// Zenith server to talk to.
    #[arg(long, global = true, env = "ZENITH_SERVER", default_value = DEFAULT_SERVER_URL)]
    pub server: String,
    /// Print one proto3 JSON document instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// API key sent as `authorization: Bearer …` (not needed while the server runs open).
    #[arg(long, global = true, env = "ZENITH_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Cluster (environment) to act on, sent as `x-zenith-cluster` [default: the server's
    /// default cluster].
    #[arg(long, global = true, env = "ZENITH_CLUSTER")]
    pub cluster: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Lists every queue with its counts; `queues metrics` shows per-minute series.
    Queues {
        #[command(subcommand)]
        command: Option<QueuesCommand>,
    },
    /// Lists or shows jobs, and retries, promotes, deletes or cancels them by id.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Adds a job to a queue and prints its id.
    Enqueue(Box<EnqueueArgs>),
    /// Stops workers from reserving jobs of a queue; enqueueing goes on.
    Pause {
        /// Queue name.
        queue: String,
    },
    /// Lets workers reserve jobs of a queue again.
    Resume {
        /// Queue name.
        queue: String,
    },
    /// Runs COMMAND for each job of the queues: payload on stdin, exit 0 acks, anything else
    /// fails the attempt with the tail of stderr.
    Work(Box<WorkArgs>),
    /// A live view of queues with counts and rates, redrawn every second; Ctrl-C exits.
    Top(TopArgs),
    /// Lists, shows or cancels bulk operations.
    #[command(subcommand)]
    Bulk(BulkCommand),
    /// Finds live and archived jobs by free text and filter terms, newest first.
    Search(Box<SearchArgs>),
    /// Lists the processes that beat, grouped by service: health, last beat, CPU, memory, jobs.
    Nodes(NodesArgs),
    /// Searches log lines (newest ones, printed oldest first), or follows new ones with -f.
    Logs(Box<LogsArgs>),
    /// Lists, shows, adds, changes, pauses, resumes, triggers or removes cron schedules; lists
    /// their runs and previews fire times.
    #[command(subcommand)]
    Cron(CronCommand),
    /// Lists and acknowledges alerts; manages rules, channels and silences; sends a test
    /// message; lists notifications.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Creates, lists and revokes API keys, straight in the server's database.
    Keys(KeysArgs),
    /// Lists the server's clusters (environments): default, Redis, database, reachability.
    Clusters,
}

/// Runs a client command; on failure prints `error: what: why` and exits with status 1.
pub async fn run(args: ClientArgs, command: Command) -> anyhow::Result<()> {
    let default_level = if matches!(command, Command::Work(_)) {
        "info"
    } else {
        "warn"
    };
    init_tracing(default_level);
    if let Err(error) = dispatch(args, command).await {
        eprintln!("error: {}", error_chain(&error));
        std::process::exit(1);
    }
    Ok(())
}

async fn dispatch(args: ClientArgs, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Queues { command: None } => ops::queues(&args).await,
        Command::Queues {
            command: Some(command),
        } => metrics::run(&args, command).await,
        Command::Jobs(command) => ops::jobs(&args, command).await,
        Command::Enqueue(enqueue) => ops::enqueue(&args, *enqueue).await,
        Command::Pause { queue } => ops::pause(&args, &queue, true).await,
        Command::Resume { queue } => ops::pause(&args, &queue, false).await,
        Command::Work(work) => work::run(&args, *work).await,
        Command::Top(top) => top::run(&args, top).await,
        Command::Bulk(command) => bulk::command(&args, command).await,
        Command::Search(search) => search::search(&args, *search).await,
        Command::Nodes(nodes) => nodes::run(&args, nodes).await,
        Command::Logs(logs) => logs::run(&args, *logs).await,
        Command::Cron(command) => cron::command(&args, command).await,
        Command::Alerts(command) => alerts::command(&args, command).await,
        Command::Keys(keys) => keys::run(&args, keys).await,
        Command::Clusters => clusters::list(&args).await,
    }
}

/// The header that tells the server who acts.
const ACTOR_HEADER: &str = "x-zenith-actor";
const MAX_ACTOR_CHARS: usize = 128;

/// Who runs this CLI, as the server records it: `cli:<user>@<hostname>`.
fn actor() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .or_else(login_name)
        .unwrap_or_else(|| "unknown".into());
    // The server takes 1-128 printable ASCII characters.
    format!("cli:{user}@{}", hostname())
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(MAX_ACTOR_CHARS)
        .collect()
}

/// The name of the user this process runs as, for shells that set no `USER`.
fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns null or a record in static storage, read at once here, while
    // nothing else in this process looks users up.
    unsafe {
        let record = libc::getpwuid(libc::getuid());
        if record.is_null() || (*record).pw_name.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr((*record).pw_name)
            .to_str()
            .ok()
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    }
}

fn hostname() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into the buffer.
    let ok = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) } == 0;
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    match std::str::from_utf8(&buffer[..end]) {
        Ok(name) if ok && !name.is_empty() => name.to_owned(),
        _ => "unknown".into(),
    }
}

/// The client sending who acts, the API key and the cluster, as every command does.
fn identified(client: Client, args: &ClientArgs) -> anyhow::Result<Client> {
    let mut client = client.header(ACTOR_HEADER, &actor())?;
    if let Some(key) = &args.api_key {
        client = client.api_key(key)?;
    }
    if let Some(cluster) = &args.cluster {
        client = client.cluster(cluster)?;
    }
    Ok(client)
}

/// A connection for the services the SDK client has no methods for, sending what the client
/// sends (the actor).
async fn transport(args: &ClientArgs) -> anyhow::Result<Transport> {
    let (channel, metadata) = ops::connect(args).await?.transport();
    Ok(InterceptedService::new(channel, metadata))
}

/// `outer: inner: root`, without the repeats some error types add by printing their source.
fn error_chain(error: &anyhow::Error) -> String {
    let mut chain: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if chain.last() != Some(&text) {
            chain.push(text);
        }
    }
    chain.join(": ")
}

/// Logs to stderr, so stdout stays clean for tables and JSON, filtered by `ZENITH_LOG` or
/// `RUST_LOG`, else at `default_level`.
fn init_tracing(default_level: &str) {
    // Client commands only log; they export no spans.
    let _ = telemetry::init(LogFormat::Pretty, default_level, false);
}

/// Job states by their short names (`dead`), their proto names (`JOB_STATE_DEAD`), or `DEAD`.
fn parse_state(text: &str) -> Result<JobState, String> {
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("JOB_STATE_").unwrap_or(&upper);
    match JobState::from_str_name(&format!("JOB_STATE_{name}")) {
        Some(state) if state != JobState::Unspecified => Ok(state),
        _ => Err(format!(
            "unknown state {text:?}; expected one of pending, scheduled, active, retry, dead, \
             completed, cancelled, deleted"
        )),
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|error| format!("invalid duration {text:?} ({error}); use e.g. 30s, 5m, 1h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_by_any_spelling() {
        assert_eq!(parse_state("dead"), Ok(JobState::Dead));
        assert_eq!(parse_state("Pending"), Ok(JobState::Pending));
        assert_eq!(parse_state("JOB_STATE_RETRY"), Ok(JobState::Retry));
        assert_eq!(parse_state("cancelled"), Ok(JobState::Cancelled));
        let error = parse_state("done").unwrap_err();
        assert!(error.contains("unknown state \"done\""), "{error}");
        assert!(parse_state("unspecified").is_err());
    }

    #[test]
    fn the_actor_names_user_and_host_in_visible_ascii() {
        let actor = actor();
        let (user, host) = actor
            .strip_prefix("cli:")
            .and_then(|rest| rest.split_once('@'))
            .unwrap_or_else(|| panic!("{actor}"));
        assert!(!user.is_empty() && !host.is_empty(), "{actor}");
        assert!(actor.chars().all(|c| c.is_ascii_graphic()), "{actor}");
        assert!(actor.len() <= MAX_ACTOR_CHARS, "{actor}");
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("invalid duration")
        );
    }
}
