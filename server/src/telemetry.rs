//! Logs (pretty or JSON lines) and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, OpenTelemetry
//! traces: one server span per gRPC call, its W3C context handed on to the jobs it enqueues.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderMap;
use http_body_util::BodyExt;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::auth::middleware::answer_status;
use crate::config::LogFormat;

pub const OTLP_ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const DEFAULT_SERVICE_NAME: &str = "zenith";

/// Whether spans are exported: the standard OTLP endpoint variable is set.
pub fn enabled() -> bool {
    std::env::var_os(OTLP_ENDPOINT_ENV).is_some_and(|endpoint| !endpoint.is_empty())
}

/// Installs the global subscriber: lines go to stderr in `format`, filtered by `ZENITH_LOG`
/// (else `RUST_LOG`, else `default_level`). With `export_spans` and the OTLP endpoint set,
/// spans at INFO and above go to it too; the returned provider must be shut down last, to
/// flush them. Call it inside a Tokio runtime: the exporter's channel lives there.
pub fn init(
    format: LogFormat,
    default_level: &str,
    export_spans: bool,
) -> anyhow::Result<Option<SdkTracerProvider>> {
    // Each output has its own filter: `ZENITH_LOG=warn` quiets the lines, not the traces.
    let log_filter = || {
        EnvFilter::try_from_env("ZENITH_LOG")
            .or_else(|_| EnvFilter::try_from_default_env())
            .unwrap_or_else(|_| EnvFilter::new(default_level))
    };
    let pretty = (format == LogFormat::Pretty).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(log_filter())
    });
    let json = (format == LogFormat::Json).then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .with_filter(log_filter())
    });
    let provider = if export_spans && enabled() {
        Some(tracer_provider()?)
    } else {
        None
    };
    let otel = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(DEFAULT_SERVICE_NAME))
            .with_filter(LevelFilter::INFO)
    });
    // Another subscriber (a test's) may already be installed; keep it.
    let _ = tracing_subscriber::registry()
        .with(pretty)
        .with(json)
        .with(otel)
        .try_init();
    Ok(provider)
}

/// The OTLP/gRPC exporter behind a batch processor; both read the standard `OTEL_*` variables.
fn tracer_provider() -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()?;
    let resource = if std::env::var_os("OTEL_SERVICE_NAME").is_some() {
        Resource::builder().build()
    } else {
        Resource::builder()
            .with_service_name(DEFAULT_SERVICE_NAME)
            .build()
    };
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// The W3C context a job carries in its headers, so its processing joins the enqueue's trace.
#[derive(Clone, Debug)]
pub struct TraceHeaders(HashMap<String, String>);

impl TraceHeaders {
    /// The context of `span`, or `None` when it is not exported (no OTel pipeline).
    pub fn of(span: &Span) -> Option<Self> {
        let context = span.context();
        if !context.span().span_context().is_valid() {
            return None;
        }
        let mut headers = HashMap::new();
        TraceContextPropagator::new().inject_context(&context, &mut MapInjector(&mut headers));
        headers.contains_key(TRACEPARENT).then_some(Self(headers))
    }

    /// Adds the context to a job's headers unless the job already names its own parent.
    pub fn apply(&self, headers: &mut HashMap<String, String>) {
        if headers.contains_key(TRACEPARENT) {
            return;
        }
        for key in [TRACEPARENT, TRACESTATE] {
            if let Some(value) = self.0.get(key).filter(|value| !value.is_empty()) {
                headers.insert(key.to_owned(), value.clone());
            }
        }
    }
}

struct MetadataExtractor<'a>(&'a HeaderMap);

impl Extractor for MetadataExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

struct MapInjector<'a>(&'a mut HashMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

/// Runs each gRPC call (grpc-web ones arrive translated) in a server span named after its
/// method, child of the caller's `traceparent`. The span stays open until the answer's body
/// ends, where the final `grpc-status` is recorded. When the caller sent a trace context, the
/// call's [`TraceHeaders`] ride along in the request's extensions for the jobs it enqueues.
pub async fn rpc_span(mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return next.run(request).await;
    };
    let span = tracing::info_span!(
        "rpc",
        otel.name = %path.trim_start_matches('/'),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = tracing::field::Empty,
    );
    let parent = TraceContextPropagator::new().extract(&MetadataExtractor(request.headers()));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
        if let Some(headers) = TraceHeaders::of(&span) {
            request.extensions_mut().insert(headers);
        }
    }
    let response = {
        use tracing::Instrument as _;
        next.run(request).instrument(span.clone()).await
    };
    // A trailers-only answer (an error) has its status in the headers.
    if let Some(status) = answer_status(response.headers(), None) {
        record_status(&span, status.code());
        return response;
    }
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            if let Some(status) = frame.trailers_ref().and_then(|t| answer_status(t, None)) {
                record_status(&span, status.code());
            }
            frame
        }))
    })
}

fn record_status(span: &Span, code: tonic::Code) {
    span.record("rpc.grpc.status_code", code as i32);
    if code != tonic::Code::Ok {
        span.record("otel.status_code", "ERROR");
    }
}
