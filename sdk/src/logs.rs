//! Log shipping: [`LogShipper`] sends log lines to Zenith in batches from a background task,
//! and its [`LogLayer`] turns `tracing` events into those lines. Inside a [`crate::Worker`]'s
//! handler, lines carry the job's id and queue.
//!
//! ```no_run
//! # async fn example() -> zenith_sdk::Result<()> {
//! use tracing_subscriber::layer::SubscriberExt as _;
//! use tracing_subscriber::util::SubscriberInitExt as _;
//! let client = zenith_sdk::Client::connect_lazy("http://127.0.0.1:7700")?;
//! let identity = zenith_sdk::detect_identity("billing-worker");
//! let shipper = zenith_sdk::LogShipper::start(client.clone(), &identity);
//! tracing_subscriber::registry()
//!     .with(tracing_subscriber::fmt::layer())
//!     .with(shipper.layer())
//!     .init();
//! // … run a Worker built with `.pulse_identity(identity)` …
//! shipper.flush().await;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use prost::Message as _;
use tokio::sync::{mpsc, oneshot};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use zenith_proto::v1::{LogLevel, LogRecord, NodeIdentity};

use crate::Client;
use crate::worker::display_chain;

/// Span fields that tag every line logged inside the span with a job; the worker runs each
/// handler in a span carrying both.
pub const JOB_ID_FIELD: &str = "zenith.job_id";
pub const QUEUE_FIELD: &str = "zenith.queue";

/// The most lines one `WriteLogs` call carries.
const MAX_BATCH: usize = 1_000;
/// The most encoded bytes one `WriteLogs` call carries, well below the 4 MiB message limit.
const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;
/// The server's limits on a line, which refuses the whole call when one line breaks them.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
const MAX_FIELDS: usize = 64;
const MAX_FIELD_BYTES: usize = 4 * 1024;
const MAX_LABEL_BYTES: usize = 256;
const MAX_NAME_BYTES: usize = 128;
/// Marks text cut to fit a limit.
const CUT_MARKER: &str = "…[truncated]";
/// How long one `WriteLogs` call may take before it counts as failed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`LogShipper::flush`] waits at most, so shutdown never hangs on the server.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a line waits for others to share its call.
const LINGER: Duration = Duration::from_millis(200);
/// Lines waiting to be shipped; more are dropped (and counted) rather than block the program.
const DEFAULT_BUFFER: usize = 10_000;
/// Tries per batch while the server is unreachable, before the batch is dropped and counted.
const WRITE_ATTEMPTS: u32 = 3;

enum Message {
    Record(Box<LogRecord>),
    /// Answered once every line sent before it was written (or given up on).
    Flush(oneshot::Sender<()>),
}

/// Ships log lines through `LogService.WriteLogs` in batches of up to 1,000 lines (and 2 MiB)
/// or every 200 ms. Lines are fitted to the server's limits first: text cut (marked
/// `…[truncated]`), NUL removed, a job id or queue that is not a valid name left out. Cheap to
/// clone; never blocks the caller: when its buffer is full, lines are dropped and the next
/// batch carries a warn line saying how many.
#[derive(Clone, Debug)]
pub struct LogShipper {
    sender: mpsc::Sender<Message>,
    dropped: Arc<AtomicU64>,
    service: Arc<str>,
    node_id: Arc<str>,
}

impl LogShipper {
    /// Starts the background task (needs a Tokio runtime); lines are tagged with the
    /// identity's service and node id.
    pub fn start(client: Client, identity: &NodeIdentity) -> Self {
        Self::with_buffer(client, identity, DEFAULT_BUFFER)
    }

    /// Like [`Self::start`] with room for `buffer` waiting lines.
    pub fn with_buffer(client: Client, identity: &NodeIdentity, buffer: usize) -> Self {
        let (shipper, receiver) = Self::unstarted(identity, buffer);
        let task = ship(
            client,
            receiver,
            shipper.dropped.clone(),
            shipper.clone_identity(),
        );
        tokio::spawn(task);
        shipper
    }

    fn unstarted(identity: &NodeIdentity, buffer: usize) -> (Self, mpsc::Receiver<Message>) {
        let (sender, receiver) = mpsc::channel(buffer.max(1));
        let shipper = Self {
            sender,
            dropped: Arc::new(AtomicU64::new(0)),
            service: identity.service.as_str().into(),
            node_id: identity.node_id.as_str().into(),
        };
        (shipper, receiver)
    }

    fn clone_identity(&self) -> (Arc<str>, Arc<str>) {
        (self.service.clone(), self.node_id.clone())
    }

    /// Queues one line; an empty service or node id is filled in, an unset time is now.
    pub fn send(&self, mut record: LogRecord) {
        if record.service.is_empty() {
            record.service = self.service.to_string();
        }
        if record.node_id.is_empty() {
            record.node_id = self.node_id.to_string();
        }
        if record.time.is_none() {
            record.time = Some(SystemTime::now().into());
        }
        if self
            .sender
            .try_send(Message::Record(Box::new(record)))
            .is_err()
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A `tracing` layer shipping every event it sees through this shipper.
    pub fn layer(&self) -> LogLayer {
        LogLayer {
            shipper: self.clone(),
        }
    }

    /// Waits until every line queued before the call has been written (or given up on), at
    /// most 10 s; lines still unwritten then keep being shipped in the background.
    pub async fn flush(&self) {
        let flushed = async {
            let (done, wait) = oneshot::channel();
            if self.sender.send(Message::Flush(done)).await.is_ok() {
                let _ = wait.await;
            }
        };
        if tokio::time::timeout(FLUSH_TIMEOUT, flushed).await.is_err() {
            tracing::debug!(timeout = ?FLUSH_TIMEOUT, "log flush timed out");
        }
    }
}

async fn ship(
    client: Client,
    mut receiver: mpsc::Receiver<Message>,
    dropped: Arc<AtomicU64>,
    (service, node_id): (Arc<str>, Arc<str>),
) {
    let mut batch: Vec<LogRecord> = Vec::with_capacity(MAX_BATCH);
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        let Some(first) = receiver.recv().await else {
            return;
        };
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        let mut bytes = 0;
        while let Some(message) = next.take() {
            match message {
                Message::Record(mut record) => {
                    fit(&mut record);
                    bytes += record.encoded_len();
                    batch.push(*record);
                }
                Message::Flush(done) => {
                    waiting.push(done);
                    break;
                }
            }
            if batch.len() >= MAX_BATCH || bytes >= MAX_BATCH_BYTES {
                break;
            }
            next = tokio::time::timeout_at(deadline, receiver.recv())
                .await
                .ok()
                .flatten();
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let mut warning = LogRecord {
                time: Some(SystemTime::now().into()),
                level: LogLevel::Warn.into(),
                message: format!(
                    "dropped {lost} log lines: the log buffer was full or the server did not take them"
                ),
                service: service.to_string(),
                node_id: node_id.to_string(),
                target: module_path!().to_owned(),
                ..LogRecord::default()
            };
            fit(&mut warning);
            batch.push(warning);
        }
        for chunk in split(std::mem::take(&mut batch)) {
            write(&client, chunk, &dropped).await;
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Splits lines into calls of at most [`MAX_BATCH`] lines and about [`MAX_BATCH_BYTES`].
fn split(records: Vec<LogRecord>) -> Vec<Vec<LogRecord>> {
    let mut chunks: Vec<Vec<LogRecord>> = Vec::new();
    let mut bytes = 0;
    for record in records {
        let size = record.encoded_len();
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < MAX_BATCH && bytes + size <= MAX_BATCH_BYTES => {
                bytes += size;
                chunk.push(record);
            }
            _ => {
                bytes = size;
                chunks.push(vec![record]);
            }
        }
    }
    chunks
}

/// Writes one batch, retrying a few times while the server is unreachable. A line the server
/// refuses (INVALID_ARGUMENT naming `records[i]`) is dropped alone and the rest sent again.
async fn write(client: &Client, mut records: Vec<LogRecord>, dropped: &AtomicU64) {
    let mut attempt = 1;
    while !records.is_empty() {
        let error = match tokio::time::timeout(WRITE_TIMEOUT, client.write_logs(records.clone()))
            .await
        {
            Ok(Ok(_)) => return,
            Ok(Err(error)) => error,
            Err(_) => crate::Error::from(tonic::Status::deadline_exceeded("write logs timed out")),
        };
        if let Some(index) = refused_line(&error).filter(|index| *index < records.len()) {
            tracing::debug!(error = %display_chain(&error), "log line refused; dropped");
            records.remove(index);
            dropped.fetch_add(1, Ordering::Relaxed);
        } else if error.is_transient() && attempt < WRITE_ATTEMPTS {
            tracing::debug!(error = %display_chain(&error), "write logs failed; retrying");
            tokio::time::sleep(Duration::from_millis(500) * attempt).await;
            attempt += 1;
        } else {
            tracing::debug!(error = %display_chain(&error), lines = records.len(), "write logs failed; lines dropped");
            dropped.fetch_add(records.len() as u64, Ordering::Relaxed);
            return;
        }
    }
}

/// The index of the line an INVALID_ARGUMENT answer names as `records[i]…`.
fn refused_line(error: &crate::Error) -> Option<usize> {
    let status = error.status()?;
    if status.code() != tonic::Code::InvalidArgument {
        return None;
    }
    let message = status.message();
    let start = message.find("records[")? + "records[".len();
    let end = start + message[start..].find(']')?;
    message[start..end].parse().ok()
}

/// Makes a line pass the server's checks: text cut to its limits at a character boundary,
/// NUL and (in labels) control characters removed, a job id or queue that is not a valid name
/// dropped, an unknown level made info, the time normalized.
fn fit(record: &mut LogRecord) {
    if LogLevel::try_from(record.level).is_err() {
        record.set_level(LogLevel::Info);
    }
    record.message.retain(|c| c != '\0');
    record.message = cut(std::mem::take(&mut record.message), MAX_MESSAGE_BYTES);
    for label in [&mut record.service, &mut record.node_id, &mut record.target] {
        if label.contains(char::is_control) {
            label.retain(|c| !c.is_control());
        }
        *label = cut(std::mem::take(label), MAX_LABEL_BYTES);
    }
    for name in [&mut record.queue, &mut record.job_id] {
        if !is_name(name) {
            name.clear();
        }
    }
    if record.fields.len() > MAX_FIELDS
        || record.fields.iter().any(|(key, value)| {
            key.is_empty()
                || key.len() > MAX_FIELD_BYTES
                || value.len() > MAX_FIELD_BYTES
                || key.contains('\0')
                || value.contains('\0')
        })
    {
        let mut fields: Vec<(String, String)> = record.fields.drain().collect();
        // Sorted, so which fields are kept does not depend on hashing.
        fields.sort();
        record.fields = fields
            .into_iter()
            .map(|(key, value)| {
                (
                    cut(key.replace('\0', ""), MAX_FIELD_BYTES),
                    cut(value.replace('\0', ""), MAX_FIELD_BYTES),
                )
            })
            .filter(|(key, _)| !key.is_empty())
            .take(MAX_FIELDS)
            .collect();
    }
    if let Some(time) = record.time.as_mut() {
        time.normalize();
    }
}

/// Cuts text to at most `max` bytes at a character boundary, marking the cut.
fn cut(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max - CUT_MARKER.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(CUT_MARKER);
    text
}

/// Queue names and job ids as the server takes them: 1 to 128 of `A-Z a-z 0-9 _ . : -`.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NAME_BYTES
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// A `tracing_subscriber` layer turning events into log lines: level, message, target, the
/// other fields as strings, the time, and the job id and queue of the nearest enclosing span
/// that carries [`JOB_ID_FIELD`] / [`QUEUE_FIELD`]. Get one from [`LogShipper::layer`].
#[derive(Clone, Debug)]
pub struct LogLayer {
    shipper: LogShipper,
}

/// The job tags a span carries, kept in its extensions.
#[derive(Default)]
struct JobTags {
    job_id: Option<String>,
    queue: Option<String>,
}

impl Visit for JobTags {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.set(field, format!("{value:?}"));
    }
}

impl JobTags {
    fn set(&mut self, field: &Field, value: String) {
        match field.name() {
            JOB_ID_FIELD => self.job_id = Some(value),
            QUEUE_FIELD => self.queue = Some(value),
            _ => {}
        }
    }
}

/// An event's message and other fields.
#[derive(Default)]
struct EventFields {
    message: String,
    fields: HashMap<String, String>,
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.fields
                .insert(field.name().to_owned(), value.to_owned());
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            let _ = write!(text, ": {cause}");
            source = cause.source();
        }
        self.fields.insert(field.name().to_owned(), text);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields
                .insert(field.name().to_owned(), format!("{value:?}"));
        }
    }
}

/// Crates whose own events would loop: shipping a line makes them log more.
fn is_transport_noise(target: &str, level: &Level) -> bool {
    let transport = ["h2", "hyper", "tower", "tonic"]
        .iter()
        .any(|name| target == *name || target.starts_with(&format!("{name}::")));
    (transport && *level > Level::WARN) || target == module_path!()
}

fn level_of(level: &Level) -> LogLevel {
    match *level {
        Level::TRACE => LogLevel::Trace,
        Level::DEBUG => LogLevel::Debug,
        Level::INFO => LogLevel::Info,
        Level::WARN => LogLevel::Warn,
        Level::ERROR => LogLevel::Error,
    }
}

impl<S> Layer<S> for LogLayer
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut tags = JobTags::default();
        attrs.record(&mut tags);
        if tags.job_id.is_none() && tags.queue.is_none() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(tags);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if is_transport_noise(metadata.target(), metadata.level()) {
            return;
        }
        let mut fields = EventFields::default();
        event.record(&mut fields);
        let mut record = LogRecord {
            level: level_of(metadata.level()).into(),
            message: fields.message,
            target: metadata.target().to_owned(),
            fields: fields.fields,
            ..LogRecord::default()
        };
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                let extensions = span.extensions();
                let Some(tags) = extensions.get::<JobTags>() else {
                    continue;
                };
                if record.job_id.is_empty() {
                    record.job_id = tags.job_id.clone().unwrap_or_default();
                }
                if record.queue.is_empty() {
                    record.queue = tags.queue.clone().unwrap_or_default();
                }
                if !record.job_id.is_empty() && !record.queue.is_empty() {
                    break;
                }
            }
        }
        self.shipper.send(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_crates_are_shipped_only_when_they_warn() {
        assert!(is_transport_noise("h2::codec", &Level::DEBUG));
        assert!(is_transport_noise("hyper", &Level::INFO));
        assert!(!is_transport_noise("hyper", &Level::ERROR));
        assert!(!is_transport_noise("h2o_app", &Level::DEBUG));
        assert!(is_transport_noise("zenith_sdk::logs", &Level::ERROR));
        assert!(!is_transport_noise("zenith_sdk::worker", &Level::INFO));
    }

    fn received(receiver: &mut mpsc::Receiver<Message>) -> Vec<LogRecord> {
        let mut records = Vec::new();
        while let Ok(message) = receiver.try_recv() {
            if let Message::Record(record) = message {
                records.push(*record);
            }
        }
        records
    }

    #[test]
    fn events_become_records_tagged_with_the_enclosing_job() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let identity = NodeIdentity {
            node_id: "host:1:abc".into(),
            service: "billing".into(),
            ..NodeIdentity::default()
        };
        let (shipper, mut receiver) = LogShipper::unstarted(&identity, 10);
        let subscriber = tracing_subscriber::registry().with(shipper.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(user = 42, "outside");
            let job = tracing::info_span!("job", zenith.job_id = "j1", zenith.queue = "emails");
            let _entered = job.enter();
            let inner = tracing::debug_span!("step");
            let _inner = inner.enter();
            tracing::warn!(error = "smtp", "inside");
        });
        let records = received(&mut receiver);
        assert_eq!(records.len(), 2, "{records:?}");
        assert_eq!(records[0].message, "outside");
        assert_eq!(records[0].job_id, "");
        assert_eq!(records[0].fields["user"], "42");
        assert_eq!(records[0].level(), LogLevel::Info);
        assert_eq!(records[0].service, "billing");
        assert_eq!(records[0].node_id, "host:1:abc");
        assert!(records[0].time.is_some());
        assert_eq!(records[1].message, "inside");
        assert_eq!(records[1].job_id, "j1");
        assert_eq!(records[1].queue, "emails");
        assert_eq!(records[1].level(), LogLevel::Warn);
        assert_eq!(records[1].fields["error"], "smtp");
        assert!(records[1].target.contains("logs"), "{}", records[1].target);
    }

    #[test]
    fn a_full_buffer_drops_and_counts_instead_of_blocking() {
        let (shipper, mut receiver) = LogShipper::unstarted(&NodeIdentity::default(), 2);
        for index in 0..5 {
            shipper.send(LogRecord {
                message: format!("line {index}"),
                ..LogRecord::default()
            });
        }
        assert_eq!(received(&mut receiver).len(), 2);
        assert_eq!(shipper.dropped.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn lines_are_cut_to_the_servers_limits_at_char_boundaries() {
        let mut fields: HashMap<String, String> = (0..70)
            .map(|index| (format!("zkey{index:02}"), "v".to_owned()))
            .collect();
        fields.insert("long".to_owned(), "é".repeat(3_000));
        fields.insert("nul\0key".to_owned(), "a\0b".to_owned());
        fields.insert(String::new(), "no key".to_owned());
        let mut record = LogRecord {
            level: 42,
            message: format!("a\0{}", "é".repeat(40_000)),
            service: "s".repeat(300),
            node_id: "host\n1".to_owned(),
            target: "ü".repeat(200),
            queue: "emails".to_owned(),
            job_id: "job with spaces".to_owned(),
            fields,
            time: Some(prost_types::Timestamp {
                seconds: 10,
                nanos: 1_500_000_000,
            }),
            ..LogRecord::default()
        };
        fit(&mut record);
        assert_eq!(record.level(), LogLevel::Info);
        assert!(record.message.starts_with("aé"));
        assert!(record.message.len() <= MAX_MESSAGE_BYTES);
        assert!(record.message.ends_with(CUT_MARKER));
        assert!(record.service.len() <= MAX_LABEL_BYTES);
        assert!(record.target.len() <= MAX_LABEL_BYTES);
        assert!(record.target.ends_with(CUT_MARKER));
        assert_eq!(record.node_id, "host1");
        assert_eq!(record.queue, "emails");
        assert_eq!(record.job_id, "", "an invalid job id is not sent");
        assert_eq!(record.fields.len(), MAX_FIELDS);
        assert!(!record.fields.contains_key(""));
        assert!(record.fields["long"].len() <= MAX_FIELD_BYTES);
        assert!(record.fields["long"].ends_with(CUT_MARKER));
        assert_eq!(record.fields["nulkey"], "ab");
        assert!(
            record
                .fields
                .iter()
                .all(|(key, value)| !key.contains('\0') && !value.contains('\0'))
        );
        let time = record.time.unwrap();
        assert_eq!((time.seconds, time.nanos), (11, 500_000_000));
    }

    #[test]
    fn valid_lines_are_left_alone() {
        let original = LogRecord {
            level: LogLevel::Warn.into(),
            message: "smtp refused".to_owned(),
            service: "billing".to_owned(),
            node_id: "host:1:ab".to_owned(),
            target: "app::mail".to_owned(),
            queue: "emails".to_owned(),
            job_id: "j-1".to_owned(),
            fields: HashMap::from([("attempt".to_owned(), "2".to_owned())]),
            ..LogRecord::default()
        };
        let mut record = original.clone();
        fit(&mut record);
        assert_eq!(record, original);
    }

    #[test]
    fn batches_are_capped_by_lines_and_by_bytes() {
        let small = |count| {
            vec![
                LogRecord {
                    message: "line".to_owned(),
                    ..LogRecord::default()
                };
                count
            ]
        };
        let sizes: Vec<usize> = split(small(2_500)).iter().map(Vec::len).collect();
        assert_eq!(sizes, [1_000, 1_000, 500]);
        let big = vec![
            LogRecord {
                message: "x".repeat(MAX_MESSAGE_BYTES),
                ..LogRecord::default()
            };
            100
        ];
        let chunks = split(big);
        assert!(chunks.len() > 1);
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 100);
        for chunk in chunks {
            let bytes = zenith_proto::v1::WriteLogsRequest { records: chunk }.encoded_len();
            assert!(bytes <= MAX_BATCH_BYTES + 8 * 1024, "{bytes}");
        }
    }

    /// Lines under `service`, polled until `count` are archived or 30 s pass.
    async fn archived(client: &Client, service: &str, count: usize) -> Vec<LogRecord> {
        let request = zenith_proto::v1::SearchLogsRequest {
            filter: Some(zenith_proto::v1::LogFilter {
                service: service.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let found = client.search_logs(request.clone()).await.unwrap().records;
            if found.len() >= count || std::time::Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_line_is_dropped_alone_and_the_rest_written() {
        let redis = zenith_testkit::RedisServer::start().unwrap();
        let server = zenith_testkit::ZenithServer::start(&redis.url(), &[]).unwrap();
        let client = Client::connect(server.url()).await.unwrap();
        let line = |message: &str, level: i32| LogRecord {
            message: message.to_owned(),
            level,
            service: "refusals".to_owned(),
            ..LogRecord::default()
        };
        let info = LogLevel::Info.into();
        let records = vec![
            line("first", info),
            line("unknown level", 42),
            line("last", info),
        ];
        let dropped = AtomicU64::new(0);
        write(&client, records, &dropped).await;
        assert_eq!(dropped.load(Ordering::Relaxed), 1);
        let mut messages: Vec<String> = archived(&client, "refusals", 2)
            .await
            .into_iter()
            .map(|record| record.message)
            .collect();
        messages.sort();
        assert_eq!(messages, ["first", "last"]);
    }

    #[test]
    fn a_refusal_names_the_line_to_drop() {
        let refused = |message: &str| {
            refused_line(&crate::Error::from(tonic::Status::invalid_argument(
                message,
            )))
        };
        assert_eq!(
            refused("records[7].service: longer than 256 bytes"),
            Some(7)
        );
        assert_eq!(
            refused("invalid records[12].level: 9 is not a log level"),
            Some(12)
        );
        assert_eq!(refused("records: 1 to 1000 lines per request"), None);
        let unavailable = crate::Error::from(tonic::Status::unavailable("records[1]"));
        assert_eq!(refused_line(&unavailable), None);
    }
}
