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

/// Ships log lines through `LogService.WriteLogs` in batches of up to 1,000 lines or every
/// 200 ms. Cheap to clone; never blocks the caller: when its buffer is full, lines are dropped
/// and the next batch carries a warn line saying how many.
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

    /// Waits until every line queued before the call has been written (or given up on).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
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
        while let Some(message) = next.take() {
            match message {
                Message::Record(record) => batch.push(*record),
                Message::Flush(done) => {
                    waiting.push(done);
                    break;
                }
            }
            if batch.len() >= MAX_BATCH {
                break;
            }
            next = tokio::time::timeout_at(deadline, receiver.recv())
                .await
                .ok()
                .flatten();
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            batch.push(LogRecord {
                time: Some(SystemTime::now().into()),
                level: LogLevel::Warn.into(),
                message: format!("dropped {lost} log lines: the log buffer was full"),
                service: service.to_string(),
                node_id: node_id.to_string(),
                target: module_path!().to_owned(),
                ..LogRecord::default()
            });
        }
        while !batch.is_empty() {
            let take = batch.len().min(MAX_BATCH);
            let chunk: Vec<LogRecord> = batch.drain(..take).collect();
            write(&client, chunk, &dropped).await;
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes one batch, retrying a few times while the server is unreachable.
async fn write(client: &Client, records: Vec<LogRecord>, dropped: &AtomicU64) {
    let count = records.len() as u64;
    for attempt in 1..=WRITE_ATTEMPTS {
        match client.write_logs(records.clone()).await {
            Ok(_) => return,
            Err(error) if error.is_transient() && attempt < WRITE_ATTEMPTS => {
                tracing::debug!(error = %display_chain(&error), "write logs failed; retrying");
                tokio::time::sleep(Duration::from_millis(500) * attempt).await;
            }
            Err(error) => {
                tracing::debug!(error = %display_chain(&error), lines = count, "write logs failed; lines dropped");
                break;
            }
        }
    }
    dropped.fetch_add(count, Ordering::Relaxed);
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
}
