//! Traces and logs against real parts: a `zenith serve` exporting spans over OTLP/gRPC to a
//! real collector, a client sending a W3C `traceparent`, and a zenith-sdk worker in this
//! process whose spans go to the same collector; and `--log-format`.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use tonic::transport::Channel;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::{EnqueueRequest, Job, JobSpec};
use zenith_testkit::{OtlpReceiver, ReceivedSpan, RedisServer, ZenithServer};

const WAIT: Duration = Duration::from_secs(30);
const CLIENT_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN_ID: &str = "00f067aa0ba902b7";

fn client_traceparent() -> String {
    format!("00-{CLIENT_TRACE_ID}-{CLIENT_SPAN_ID}-01")
}

fn zenith() -> &'static std::path::Path {
    env!("CARGO_BIN_EXE_zenith").as_ref()
}

/// A zenith exporting its spans to `receiver` quickly, and a client to it.
async fn traced_server(
    redis: &RedisServer,
    receiver: &OtlpReceiver,
) -> anyhow::Result<(ZenithServer, QueueServiceClient<Channel>)> {
    let endpoint = receiver.endpoint();
    let server = ZenithServer::start_with_env(
        zenith(),
        &redis.url(),
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
        Stdio::inherit(),
    )?;
    let queues = QueueServiceClient::connect(server.url()).await?;
    Ok((server, queues))
}

async fn enqueue(
    queues: &mut QueueServiceClient<Channel>,
    spec: JobSpec,
    traceparent: Option<&str>,
) -> anyhow::Result<Job> {
    let mut request = tonic::Request::new(EnqueueRequest { job: Some(spec) });
    if let Some(traceparent) = traceparent {
        request
            .metadata_mut()
            .insert("traceparent", traceparent.parse()?);
    }
    let job = queues.enqueue(request).await?.into_inner().job;
    job.ok_or_else(|| anyhow::anyhow!("enqueue answered without the job"))
}

/// This process's pipeline: the worker's spans go to `endpoint` as service `worker`. Global,
/// so the worker's tasks see it on every thread; installed once per test binary.
fn install_worker_pipeline(endpoint: &str) {
    static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .expect("build the otlp exporter");
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_scheduled_delay(Duration::from_millis(100))
                    .build(),
            )
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(Resource::builder().with_service_name("worker").build())
            .build();
        // Only the SDK's spans: the exporter's own transport must not trace itself.
        let sdk_only = tracing_subscriber::filter::Targets::new()
            .with_target("zenith_sdk", tracing::Level::INFO);
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("worker")))
            .with(sdk_only)
            .init();
        provider
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn is_enqueue(span: &ReceivedSpan) -> bool {
    span.service == "zenith" && span.span.name == "zenith.v1.QueueService/Enqueue"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processing_joins_the_trace_of_the_call_that_enqueued() -> anyhow::Result<()> {
    let receiver = OtlpReceiver::start().await?;
    install_worker_pipeline(&receiver.endpoint());
    let redis = RedisServer::start()?;
    let (server, mut queues) = traced_server(&redis, &receiver).await?;

    let spec = JobSpec {
        queue: "traced".into(),
        r#type: "render".into(),
        ..JobSpec::default()
    };
    let job = enqueue(&mut queues, spec, Some(&client_traceparent())).await?;

    let enqueue_span = receiver
        .wait_for_span(WAIT, |span| {
            is_enqueue(span) && hex(&span.span.trace_id) == CLIENT_TRACE_ID
        })
        .await?;
    assert_eq!(hex(&enqueue_span.span.parent_span_id), CLIENT_SPAN_ID);
    assert_eq!(
        enqueue_span.attribute("rpc.system").as_deref(),
        Some("grpc")
    );
    assert_eq!(
        enqueue_span.attribute("rpc.service").as_deref(),
        Some("zenith.v1.QueueService")
    );
    assert_eq!(
        enqueue_span.attribute("rpc.method").as_deref(),
        Some("Enqueue")
    );
    assert_eq!(
        enqueue_span.attribute("rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    let enqueue_span_id = hex(&enqueue_span.span.span_id);
    assert_eq!(
        job.headers.get("traceparent"),
        Some(&format!("00-{CLIENT_TRACE_ID}-{enqueue_span_id}-01")),
        "the job carries the enqueue span's context"
    );

    let client = zenith_sdk::Client::connect(server.url()).await?;
    zenith_sdk::Worker::builder(client)
        .queue("traced")
        .poll_wait(Duration::from_millis(300))
        .max_jobs(1)
        .handle("render", |_job| async { Ok(()) })
        .build()?
        .run()
        .await?;

    let processing = receiver
        .wait_for_span(WAIT, |span| {
            span.service == "worker" && span.span.name == "process traced"
        })
        .await?;
    assert_eq!(hex(&processing.span.trace_id), CLIENT_TRACE_ID);
    assert_eq!(hex(&processing.span.parent_span_id), enqueue_span_id);
    assert_eq!(
        processing.attribute("zenith.job_id").as_deref(),
        Some(job.id.as_str())
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_own_traceparent_wins_and_untraced_calls_add_none() -> anyhow::Result<()> {
    let receiver = OtlpReceiver::start().await?;
    let redis = RedisServer::start()?;
    let (_server, mut queues) = traced_server(&redis, &receiver).await?;

    let own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let spec = JobSpec {
        queue: "traced".into(),
        r#type: "render".into(),
        headers: HashMap::from([("traceparent".to_owned(), own.to_owned())]),
        ..JobSpec::default()
    };
    let job = enqueue(&mut queues, spec, Some(&client_traceparent())).await?;
    assert_eq!(
        job.headers.get("traceparent").map(String::as_str),
        Some(own)
    );

    let spec = JobSpec {
        queue: "traced".into(),
        r#type: "render".into(),
        ..JobSpec::default()
    };
    let job = enqueue(&mut queues, spec, None).await?;
    assert_eq!(job.headers.get("traceparent"), None);
    assert_eq!(job.headers.get("tracestate"), None);

    // The untraced call still has its own (root) server span.
    let root = receiver
        .wait_for_span(WAIT, |span| {
            is_enqueue(span) && span.span.parent_span_id.is_empty()
        })
        .await?;
    assert_ne!(hex(&root.span.trace_id), CLIENT_TRACE_ID);
    Ok(())
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let dir = tempfile::tempdir()?;
    let log_path = dir.path().join("stderr.log");
    let mut server = ZenithServer::start_with_env(
        zenith(),
        &redis.url(),
        &["--log-format", "json"],
        &[("RUST_LOG", "info")],
        Stdio::from(std::fs::File::create(&log_path)?),
    )?;
    server.stop();
    let text = std::fs::read_to_string(&log_path)?;
    let lines: Vec<&str> = text.lines().filter(|line| !line.is_empty()).collect();
    assert!(
        lines.iter().any(|line| line.contains("zenith is serving")),
        "{text}"
    );
    for line in lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("not json ({error}): {line}"));
        assert!(object["level"].is_string(), "{line}");
        assert!(object["message"].is_string(), "{line}");
        assert!(object["target"].is_string(), "{line}");
    }
    Ok(())
}

#[test]
fn an_unknown_log_format_names_the_flag() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let (code, stderr) =
        ZenithServer::run_expecting_exit(zenith(), &redis.url(), &["--log-format", "xml"], WAIT)?;
    assert_ne!(code, Some(0));
    assert!(stderr.contains("--log-format"), "{stderr}");
    Ok(())
}
