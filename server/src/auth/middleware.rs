//! The one authorization point. For every Zenith RPC: who calls (API key or open mode), may
//! that role call it, does it stay within the key's queues and rate, then the call, then the
//! audit event and, for keys that may not see payloads, the payloads taken out of the answer.
//!
//! It runs inside the grpc-web translation, so browser calls arrive here as plain gRPC.

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderMap;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage, SerializeOptions, Value};
use zenith_proto::v1::Role;

use super::audit::Auditor;
use super::error::AuthError;
use super::keys::{Keyring, Token};
use super::store::AuditRecord;
use super::{Access, Principal, QueueScope, Rule, rule_for};
use crate::metrics;
use crate::queue::QueueError;

const MAX_SUMMARY_BYTES: usize = 2048;
const BULK_OPERATION_RPC: &str = "/zenith.v1.QueueService/StartBulkOperation";

#[derive(Clone)]
pub struct Auth {
    pub keyring: Arc<Keyring>,
    pub auditor: Auditor,
    /// The most of a request body read to check scopes or summarize it for the audit log: the
    /// largest message the services decode, so nothing larger is ever held.
    pub max_request_bytes: usize,
}

/// What the middleware learned about a call, for its audit event.
struct Call {
    rpc: String,
    peer: Option<IpAddr>,
    principal: String,
    key_name: String,
    role: Role,
    target: String,
    request: String,
}

impl Call {
    fn event(&self, code: &str, message: String) -> AuditRecord {
        AuditRecord {
            id: 0,
            at_ms: now_ms(),
            principal: self.principal.clone(),
            key_name: self.key_name.clone(),
            role: self.role as i32,
            rpc: self.rpc.clone(),
            target: self.target.clone(),
            request: self.request.clone(),
            code: code.to_owned(),
            message,
            peer: self.peer.map(|ip| ip.to_string()).unwrap_or_default(),
        }
    }
}

/// Authorizes the call and counts it for `/metrics` once its status is known: at once for
/// answers with the status in the headers, else when the body's trailers pass (so streams count
/// when they end).
pub async fn authorize(state: State<Auth>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = metrics::rpc_method(request.uri().path());
    let response = authorize_call(state, request, next).await;
    if let Some(status) = tonic::Status::from_header_map(response.headers()) {
        metrics::record_rpc(method, code_name(status.code()), started.elapsed());
        return response;
    }
    let (parts, body) = response.into_parts();
    let outcome = Outcome {
        method,
        started,
        headers: parts.headers.clone(),
        recorded: false,
    };
    Response::from_parts(parts, Body::new(Counted { body, outcome }))
}

async fn authorize_call(State(auth): State<Auth>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if !path.starts_with("/zenith.") {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let mut call = Call {
        rpc: path.clone(),
        peer,
        principal: format!(
            "anonymous@{}",
            peer.map(|ip| ip.to_string()).unwrap_or_default()
        ),
        key_name: String::new(),
        role: Role::Unspecified,
        target: String::new(),
        request: String::new(),
    };
    let Some(rule) = rule_for(&path) else {
        tracing::error!(rpc = path, "rpc has no policy entry");
        let error = AuthError::PermissionDenied(format!("{path} has no access policy"));
        return deny(&auth, &call, error).await;
    };
    let principal = match authenticate(&auth.keyring, request.headers(), peer).await {
        Ok(principal) => principal,
        Err(error) => return deny(&auth, &call, error).await,
    };
    call.principal = principal.name();
    call.role = principal.role;
    if let Some(key) = &principal.key {
        call.key_name = key.name.clone();
    }
    if !rule.access.allows(principal.role) {
        let error = AuthError::PermissionDenied(format!(
            "role {} may not call {}; it needs {}",
            role_name(principal.role),
            short_rpc(&path),
            rule.access.needs()
        ));
        return deny(&auth, &call, error).await;
    }
    if let Some(key) = &principal.key
        && let Err(error) = auth.keyring.take_call(key)
    {
        return deny(&auth, &call, error).await;
    }
    let scoped = principal.queue_limit().is_some();
    if scoped && rule.scope == QueueScope::Global {
        let error = AuthError::PermissionDenied(format!(
            "key {} is limited to queues {}; {} reaches across queues",
            call.principal.trim_start_matches("key:"),
            principal
                .queue_limit()
                .map(|l| l.describe())
                .unwrap_or_default(),
            short_rpc(&path)
        ));
        return deny(&auth, &call, error).await;
    }

    let inspect = rule.access.audited() || (scoped && rule.scope == QueueScope::Named);
    let mut request = request;
    if inspect {
        let (parts, body) = request.into_parts();
        // The 5-byte gRPC frame prefix comes on top of the message.
        let limit = auth.max_request_bytes + 5;
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => bytes,
            Err(error) => {
                let error = if is_length_limit(&error) {
                    AuthError::Queue(QueueError::TooLarge {
                        field: "request".into(),
                        message: format!(
                            "message exceeds the limit of {} bytes (--max-message-bytes)",
                            auth.max_request_bytes
                        ),
                    })
                } else {
                    AuthError::invalid("request", format!("unreadable: {error}"))
                };
                return deny(&auth, &call, error).await;
            }
        };
        let decoded = zenith_proto::method(&path)
            .zip(first_message(&bytes))
            .and_then(|(method, message)| DynamicMessage::decode(method.input(), message).ok());
        if let Some(message) = &decoded {
            call.target = target(message);
            call.request = summary(message);
        }
        if let Err(error) = check_request(rule, &principal, decoded.as_ref()) {
            return deny(&auth, &call, error).await;
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }

    let redact = !principal.sees_payloads() && rule.access != Access::Work && returns_jobs(&path);
    request.extensions_mut().insert(principal);
    let response = next.run(request).await;
    if !redact && !rule.access.audited() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        // The call broke off mid-answer; nothing is left to pass on or to judge.
        return Response::from_parts(parts, Body::empty());
    };
    let trailers = collected.trailers().cloned();
    let mut data = collected.to_bytes();
    if redact && let Some(method) = zenith_proto::method(&path) {
        data = redact_frames(&data, &method.output());
        parts.headers.remove(http::header::CONTENT_LENGTH);
    }
    if rule.access.audited() {
        let (code, message) = grpc_status(&parts.headers, trailers.as_ref());
        auth.auditor.record(call.event(code, message)).await;
    }
    // A trailers-only answer (an error: status in the headers, no body) must stay one, or
    // strict clients wait for trailers that never come.
    if data.is_empty() && trailers.is_none() {
        return Response::from_parts(parts, Body::empty());
    }
    let mut frames = Vec::with_capacity(2);
    if !data.is_empty() {
        frames.push(Ok::<_, Infallible>(Frame::data(data)));
    }
    if let Some(trailers) = trailers {
        frames.push(Ok(Frame::trailers(trailers)));
    }
    Response::from_parts(
        parts,
        Body::new(StreamBody::new(futures::stream::iter(frames))),
    )
}

async fn authenticate(
    keyring: &Keyring,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Principal, AuthError> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        if keyring.is_open() {
            return Ok(Principal::open(peer));
        }
        return Err(AuthError::Unauthenticated(
            "missing api key: send `authorization: Bearer zk_…`".into(),
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(|| {
            AuthError::Unauthenticated("authorization: expected `Bearer zk_…`".into())
        })?;
    let token = Token::parse(token)
        .map_err(|why| AuthError::Unauthenticated(format!("authorization: {why}")))?;
    let key = keyring.authenticate(&token, now_ms()).await?;
    Ok(Principal {
        role: key.role,
        key: Some(key),
        peer,
    })
}

/// What a call can only be judged on by its request: the queues it names, and bulk deletes.
fn check_request(
    rule: &Rule,
    principal: &Principal,
    message: Option<&DynamicMessage>,
) -> Result<(), AuthError> {
    if rule.rpc == BULK_OPERATION_RPC
        && !Access::Administer.allows(principal.role)
        && message.is_some_and(|message| enum_is(message, "action", "BULK_ACTION_DELETE"))
    {
        return Err(AuthError::PermissionDenied(format!(
            "role {} may not delete jobs in bulk; it needs admin",
            role_name(principal.role)
        )));
    }
    let Some(limit) = principal.queue_limit() else {
        return Ok(());
    };
    if rule.scope != QueueScope::Named {
        return Ok(());
    }
    let key = principal.name();
    let Some(message) = message else {
        return Err(AuthError::invalid(
            "request",
            "not a valid message for this method",
        ));
    };
    let mut queues = Vec::new();
    collect_queues(message, &mut queues, 0);
    if queues.is_empty() {
        return Err(AuthError::PermissionDenied(format!(
            "{key} is limited to queues {}: name the queue in the request",
            limit.describe()
        )));
    }
    if let Some(outside) = queues.iter().find(|queue| !limit.allows(queue)) {
        return Err(AuthError::PermissionDenied(format!(
            "{key} may not use queue {outside}; it is limited to {}",
            limit.describe()
        )));
    }
    Ok(())
}

async fn deny(auth: &Auth, call: &Call, error: AuthError) -> Response {
    let status = tonic::Status::from(error);
    tracing::info!(
        principal = call.principal,
        rpc = call.rpc,
        code = code_name(status.code()),
        reason = status.message(),
        "call refused"
    );
    auth.auditor
        .record(call.event(code_name(status.code()), status.message().to_owned()))
        .await;
    status.into_http::<Body>().into_response()
}

/// Unary methods whose answer holds a job somewhere: those whose payloads may need redacting.
static RETURNS_JOBS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    zenith_proto::methods()
        .filter(|(_, method)| {
            !method.is_server_streaming() && holds_job(&method.output(), &mut HashSet::new())
        })
        .map(|(path, _)| path.clone())
        .collect()
});

fn returns_jobs(path: &str) -> bool {
    RETURNS_JOBS.contains(path)
}

fn holds_job(message: &MessageDescriptor, seen: &mut HashSet<String>) -> bool {
    if message.full_name() == "zenith.v1.Job" {
        return true;
    }
    if !seen.insert(message.full_name().to_owned()) {
        return false;
    }
    message.fields().any(|field| match field.kind() {
        prost_reflect::Kind::Message(inner) => holds_job(&inner, seen),
        _ => false,
    })
}

/// The message of a single-message gRPC body (5-byte prefix, uncompressed).
fn first_message(body: &[u8]) -> Option<&[u8]> {
    let (&flag, rest) = body.split_first()?;
    if flag != 0 || rest.len() < 4 {
        return None;
    }
    let length = u32::from_be_bytes(rest[..4].try_into().ok()?) as usize;
    rest.get(4..4 + length)
}

/// Every gRPC frame of an answer, with each job's payload and result taken out.
fn redact_frames(body: &Bytes, output: &MessageDescriptor) -> Bytes {
    let mut out = BytesMut::with_capacity(body.len());
    let mut rest: &[u8] = body;
    while let Some(message) = first_message(rest) {
        let length = message.len();
        match DynamicMessage::decode(output.clone(), message) {
            Ok(mut decoded) => {
                redact_jobs(&mut decoded, 0);
                let encoded = decoded.encode_to_vec();
                out.put_u8(0);
                out.put_u32(encoded.len() as u32);
                out.put_slice(&encoded);
            }
            // Not ours to judge: a frame that does not decode goes out empty rather than whole.
            Err(_) => {
                out.put_u8(0);
                out.put_u32(0);
            }
        }
        rest = &rest[5 + length..];
    }
    out.freeze()
}

const MAX_DEPTH: usize = 8;

fn redact_jobs(message: &mut DynamicMessage, depth: usize) {
    if message.descriptor().full_name() == "zenith.v1.Job" {
        message.clear_field_by_name("payload");
        message.clear_field_by_name("result");
        message.set_field_by_name("payload_redacted", Value::Bool(true));
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for (_, value) in message.fields_mut() {
        match value {
            Value::Message(inner) => redact_jobs(inner, depth + 1),
            Value::List(items) => {
                for item in items {
                    if let Value::Message(inner) = item {
                        redact_jobs(inner, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Requests whose `name` is a queue's.
const NAMING_QUEUES: &[&str] = &[
    "zenith.v1.GetQueueRequest",
    "zenith.v1.PauseQueueRequest",
    "zenith.v1.ResumeQueueRequest",
];

/// Every queue a request names: `queue` and `queues` fields at any depth (a job spec's queue,
/// each job of a batch).
fn collect_queues(message: &DynamicMessage, out: &mut Vec<String>, depth: usize) {
    let name_is_queue = NAMING_QUEUES.contains(&message.descriptor().full_name());
    for (field, value) in message.fields() {
        match (field.name(), value) {
            ("queue", Value::String(queue)) if !queue.is_empty() => out.push(queue.clone()),
            ("name", Value::String(queue)) if name_is_queue => out.push(queue.clone()),
            ("queues", Value::List(items)) => out.extend(items.iter().filter_map(|item| {
                item.as_str()
                    .filter(|queue| !queue.is_empty())
                    .map(str::to_owned)
            })),
            (_, Value::Message(inner)) if depth < MAX_DEPTH => {
                collect_queues(inner, out, depth + 1)
            }
            (_, Value::List(items)) if depth < MAX_DEPTH => {
                for item in items {
                    if let Value::Message(inner) = item {
                        collect_queues(inner, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// What a call names, for the audit log: its queue and the id it acts on, `queue/id`.
fn target(message: &DynamicMessage) -> String {
    let mut queues = Vec::new();
    collect_queues(message, &mut queues, 0);
    let id = find_id(message).or_else(|| {
        message.fields().find_map(|(_, value)| match value {
            Value::Message(inner) => find_id(inner),
            _ => None,
        })
    });
    queues
        .into_iter()
        .next()
        .into_iter()
        .chain(id)
        .collect::<Vec<_>>()
        .join("/")
}

fn find_id(message: &DynamicMessage) -> Option<String> {
    message.fields().find_map(|(field, value)| {
        let name = field.name();
        match value {
            Value::String(id) if name == "id" || name.ends_with("_id") => Some(id.clone()),
            Value::List(ids) if name == "ids" => Some(format!("{} ids", ids.len())),
            _ => None,
        }
    })
}

/// The request in proto3 JSON with payloads, headers and anything secret left out.
fn summary(message: &DynamicMessage) -> String {
    let options = SerializeOptions::new().skip_default_fields(true);
    let Ok(mut json) = message.serialize_with_options(serde_json::value::Serializer, &options)
    else {
        return String::new();
    };
    redact_json(&mut json);
    let mut text = json.to_string();
    if text.len() > MAX_SUMMARY_BYTES {
        let mut end = MAX_SUMMARY_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(object) => {
            for (name, inner) in object.iter_mut() {
                let lower = name.to_ascii_lowercase();
                let secret = ["payload", "result", "headers"].contains(&lower.as_str())
                    || ["secret", "password", "token", "url", "authorization"]
                        .iter()
                        .any(|word| lower.contains(word));
                if secret {
                    *inner = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_json(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Whether the enum field `field` holds the value named `value`.
fn enum_is(message: &DynamicMessage, field: &str, value: &str) -> bool {
    let Some(descriptor) = message.descriptor().get_field_by_name(field) else {
        return false;
    };
    let prost_reflect::Kind::Enum(kind) = descriptor.kind() else {
        return false;
    };
    let number = message.get_field(&descriptor).as_enum_number();
    kind.get_value_by_name(value)
        .is_some_and(|expected| Some(expected.number()) == number)
}

/// The call's outcome: from the headers of a trailers-only answer, else from its trailers.
/// A call still answering, counted when its trailers pass or, if it ends without any, as
/// `UNKNOWN` (`CANCELLED` when the client went away first).
struct Outcome {
    method: &'static str,
    started: Instant,
    headers: HeaderMap,
    recorded: bool,
}

impl Outcome {
    fn record(&mut self, code: &'static str) {
        if !self.recorded {
            self.recorded = true;
            metrics::record_rpc(self.method, code, self.started.elapsed());
        }
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        self.record("CANCELLED");
    }
}

struct Counted {
    body: Body,
    outcome: Outcome,
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let (code, _) = grpc_status(&self.outcome.headers, Some(trailers));
                    self.outcome.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.outcome.record("CANCELLED"),
            Poll::Ready(None) => self.outcome.record("UNKNOWN"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

fn grpc_status(headers: &HeaderMap, trailers: Option<&HeaderMap>) -> (&'static str, String) {
    match answer_status(headers, trailers) {
        Some(status) => (code_name(status.code()), status.message().to_owned()),
        None => ("UNKNOWN", "no grpc-status in the answer".into()),
    }
}

/// Whether reading a body stopped at its length limit, rather than failing.
fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// A call's final status: in the headers of a trailers-only answer, else in the trailers.
pub fn answer_status(headers: &HeaderMap, trailers: Option<&HeaderMap>) -> Option<tonic::Status> {
    tonic::Status::from_header_map(headers)
        .or_else(|| trailers.and_then(tonic::Status::from_header_map))
}

pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Unspecified => "none",
        Role::Viewer => "viewer",
        Role::Operator => "operator",
        Role::Admin => "admin",
        Role::Worker => "worker",
    }
}

/// `QueueService/PurgeQueue` of `/zenith.v1.QueueService/PurgeQueue`.
fn short_rpc(path: &str) -> &str {
    path.trim_start_matches("/zenith.v1.")
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use zenith_proto::DESCRIPTOR_POOL;

    use super::*;

    fn request(name: &str, json: &str) -> DynamicMessage {
        let descriptor = DESCRIPTOR_POOL
            .get_message_by_name(&format!("zenith.v1.{name}"))
            .unwrap();
        let mut deserializer = serde_json::Deserializer::from_str(json);
        DynamicMessage::deserialize(descriptor, &mut deserializer).unwrap()
    }

    #[test]
    fn queues_are_found_at_any_depth() {
        let mut queues = Vec::new();
        let batch = request(
            "BatchEnqueueRequest",
            r#"{"jobs":[{"queue":"a","type":"t"},{"queue":"b","type":"t"}]}"#,
        );
        collect_queues(&batch, &mut queues, 0);
        assert_eq!(queues, ["a", "b"]);
        let schedule = request(
            "CreateScheduleRequest",
            r#"{"spec":{"id":"nightly","job":{"queue":"reports","type":"t"}}}"#,
        );
        assert_eq!(target(&schedule), "reports/nightly");
    }

    #[test]
    fn summaries_leave_out_payloads_and_secrets() {
        let enqueue = request(
            "EnqueueRequest",
            r#"{"job":{"queue":"a","type":"t","payload":"c2VjcmV0","headers":{"k":"v"}}}"#,
        );
        let text = summary(&enqueue);
        assert!(
            !text.contains("c2VjcmV0") && !text.contains("\"v\""),
            "{text}"
        );
        assert!(text.contains("[redacted]"), "{text}");
    }

    #[test]
    fn job_answers_are_known_and_redacted() {
        assert!(returns_jobs("/zenith.v1.QueueService/GetJob"));
        assert!(returns_jobs("/zenith.v1.ArchiveService/SearchJobs"));
        assert!(!returns_jobs("/zenith.v1.QueueService/ListQueues"));
        let method = zenith_proto::method("/zenith.v1.QueueService/GetJob").unwrap();
        let answer = zenith_proto::v1::GetJobResponse {
            job: Some(zenith_proto::v1::Job {
                id: "j1".into(),
                payload: b"secret".to_vec(),
                result: b"done".to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let encoded = answer.encode_to_vec();
        let mut frame = vec![0];
        frame.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
        frame.extend_from_slice(&encoded);
        let redacted = redact_frames(&Bytes::from(frame), &method.output());
        let decoded =
            zenith_proto::v1::GetJobResponse::decode(first_message(&redacted).unwrap()).unwrap();
        let job = decoded.job.unwrap();
        assert_eq!(job.id, "j1");
        assert!(job.payload.is_empty() && job.result.is_empty() && job.payload_redacted);
    }
}
