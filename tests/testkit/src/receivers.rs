//! Real receivers for alerting tests: an HTTP server that records every request and answers
//! from a script, and a minimal SMTP server that records every message. Both listen on free
//! loopback ports and stop when dropped.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One request as the HTTP receiver saw it.
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    pub method: String,
    /// Path and query, e.g. `/hook?x=1`.
    pub path: String,
    /// Names lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: Instant,
    /// The status it was answered with.
    pub status: u16,
}

impl ReceivedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("body is not json ({error}): {}", self.body_text()))
    }
}

#[derive(Default)]
struct HttpState {
    requests: Vec<ReceivedRequest>,
    statuses: VecDeque<u16>,
    delay: Duration,
}

/// An HTTP server on a free 127.0.0.1 port answering every method and path: 200 unless
/// scripted otherwise.
pub struct HttpReceiver {
    addr: SocketAddr,
    state: Arc<Mutex<HttpState>>,
    task: JoinHandle<()>,
}

impl HttpReceiver {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(HttpState::default()));
        let handler_state = state.clone();
        let router = axum::Router::new().fallback(move |request: Request| {
            let state = handler_state.clone();
            async move { answer(state, request).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Answers the next requests with these statuses in order, then 200 again.
    pub fn respond_with(&self, statuses: Vec<u16>) {
        self.state.lock().unwrap().statuses = statuses.into();
    }

    /// Waits this long before answering each request from now on (zero: answer at once).
    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Waits until at least `n` requests arrived and returns them all; panics with what came on
    /// timeout.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        let started = Instant::now();
        loop {
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }
            if started.elapsed() > timeout {
                panic!(
                    "waited {timeout:?} for {n} requests, got {}: {:#?}",
                    requests.len(),
                    requests
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(state: Arc<Mutex<HttpState>>, request: Request) -> Response {
    let received_at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .map(|bytes| bytes.to_vec())
        .unwrap_or_default();
    let (status, delay) = {
        let mut state = state.lock().unwrap();
        let status = state.statuses.pop_front().unwrap_or(200);
        state.requests.push(ReceivedRequest {
            method: parts.method.to_string(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
            received_at,
            status,
        });
        (status, state.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .body(Body::from(format!("status {status}")))
        .expect("build a response")
}

/// One message as the SMTP sink received it.
#[derive(Clone, Debug)]
pub struct SmtpMessage {
    /// The MAIL FROM address, without angle brackets.
    pub from: String,
    /// The RCPT TO addresses, without angle brackets.
    pub recipients: Vec<String>,
    /// Headers and body as sent, dot-stuffing undone, without the final `.` line.
    pub data: String,
    /// What followed `AUTH ` on the connection, when the client authenticated.
    pub auth: Option<String>,
}

impl SmtpMessage {
    /// The value of header `name` (any case), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                found = Some(value.trim().to_owned());
            }
        }
        found
    }

    /// Everything after the headers, as sent (transfer encoding not undone).
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
    }
}

#[derive(Default)]
struct SmtpState {
    messages: Vec<SmtpMessage>,
    /// Replies to the next MAIL FROM commands in order, instead of 250.
    mail_replies: VecDeque<u16>,
}

/// A plain-text SMTP server on a free 127.0.0.1 port that accepts any credentials and every
/// message.
pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<Mutex<SmtpState>>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(SmtpState::default()));
        let accept_state = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = accept_state.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, state).await;
                });
            }
        });
        Ok(Self { addr, state, task })
    }

    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Answers the next MAIL FROM commands with these reply codes in order (e.g. 451, 550),
    /// then accepts again.
    pub fn reject_with(&self, codes: Vec<u16>) {
        self.state.lock().unwrap().mail_replies = codes.into();
    }

    pub fn messages(&self) -> Vec<SmtpMessage> {
        self.state.lock().unwrap().messages.clone()
    }

    /// Waits until at least `n` messages arrived and returns them all; panics with what came on
    /// timeout.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<SmtpMessage> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if started.elapsed() > timeout {
                panic!(
                    "waited {timeout:?} for {n} messages, got {}: {:#?}",
                    messages.len(),
                    messages
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn angle_address(argument: &str) -> String {
    let argument = argument.trim();
    let inner = match (argument.find('<'), argument.find('>')) {
        (Some(start), Some(end)) if start < end => &argument[start + 1..end],
        _ => argument.split_whitespace().next().unwrap_or(""),
    };
    inner.to_owned()
}

async fn smtp_session(stream: TcpStream, state: Arc<Mutex<SmtpState>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 zenith-test-sink ESMTP\r\n").await?;
    let mut from: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    let mut auth: Option<String> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let verb = verb.to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-zenith-test-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n".into(),
            "HELO" => "250 zenith-test-sink\r\n".into(),
            "AUTH" => {
                auth = Some(argument.to_owned());
                let mechanism = argument.split_whitespace().next().unwrap_or("");
                let has_initial = argument.split_whitespace().nth(1).is_some();
                if mechanism.eq_ignore_ascii_case("LOGIN") {
                    // Username and password prompts (base64 "Username:", "Password:").
                    if !has_initial {
                        write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                        read_continuation(&mut reader, &mut auth).await?;
                    }
                    write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                    read_continuation(&mut reader, &mut auth).await?;
                } else if !has_initial {
                    write.write_all(b"334 \r\n").await?;
                    read_continuation(&mut reader, &mut auth).await?;
                }
                "235 authenticated\r\n".into()
            }
            "MAIL" => {
                let scripted = state.lock().unwrap().mail_replies.pop_front();
                match scripted {
                    Some(code) => format!("{code} scripted reply\r\n"),
                    None => {
                        from = Some(angle_address(
                            argument.split_once(':').map_or("", |(_, rest)| rest),
                        ));
                        recipients.clear();
                        "250 ok\r\n".into()
                    }
                }
            }
            "RCPT" => {
                if from.is_none() {
                    "503 mail first\r\n".into()
                } else {
                    recipients.push(angle_address(
                        argument.split_once(':').map_or("", |(_, rest)| rest),
                    ));
                    "250 ok\r\n".into()
                }
            }
            "DATA" => {
                if from.is_none() || recipients.is_empty() {
                    "503 mail and rcpt first\r\n".into()
                } else {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let data = read_data(&mut reader).await?;
                    state.lock().unwrap().messages.push(SmtpMessage {
                        from: from.take().unwrap_or_default(),
                        recipients: std::mem::take(&mut recipients),
                        data,
                        auth: auth.clone(),
                    });
                    "250 queued\r\n".into()
                }
            }
            "RSET" => {
                from = None;
                recipients.clear();
                "250 ok\r\n".into()
            }
            "NOOP" => "250 ok\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 command not implemented\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

async fn read_continuation(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    auth: &mut Option<String>,
) -> std::io::Result<()> {
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    if let Some(auth) = auth.as_mut() {
        auth.push(' ');
        auth.push_str(line.trim_end_matches(['\r', '\n']));
    }
    Ok(())
}

/// Reads DATA lines up to the lone `.`, undoing dot-stuffing.
async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn post(port: u16, path: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nx-test: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn http_receiver_records_requests_and_answers_the_script() {
        let receiver = HttpReceiver::start().await.unwrap();
        receiver.respond_with(vec![500, 404]);
        let answers = [
            post(receiver.port(), "/a?q=1", "{\"n\":1}").await,
            post(receiver.port(), "/b", "two").await,
            post(receiver.port(), "/c", "three").await,
        ];
        assert!(answers[0].starts_with("HTTP/1.1 500"), "{}", answers[0]);
        assert!(answers[1].starts_with("HTTP/1.1 404"), "{}", answers[1]);
        assert!(answers[2].starts_with("HTTP/1.1 200"), "{}", answers[2]);
        let requests = receiver.wait_for_requests(3, Duration::from_secs(5)).await;
        assert_eq!(requests[0].method, "POST");
        assert_eq!(requests[0].path, "/a?q=1");
        assert_eq!(requests[0].header("X-Test"), Some("yes"));
        assert_eq!(requests[0].json()["n"], 1);
        assert_eq!(requests[1].body_text(), "two");
        assert_eq!(
            requests.iter().map(|r| r.status).collect::<Vec<_>>(),
            [500, 404, 200]
        );
    }

    async fn expect(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, code: &str) {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            assert!(line.starts_with(code), "expected {code}, got {line:?}");
            if line.as_bytes().get(3) != Some(&b'-') {
                return;
            }
        }
    }

    #[tokio::test]
    async fn smtp_sink_records_messages_and_scripted_rejections() {
        let sink = SmtpSink::start().await.unwrap();
        sink.reject_with(vec![451]);
        let stream = TcpStream::connect(("127.0.0.1", sink.port()))
            .await
            .unwrap();
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        expect(&mut reader, "220").await;
        let steps: [(&str, &str); 10] = [
            ("EHLO me\r\n", "250"),
            ("AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "235"),
            ("MAIL FROM:<a@example.com>\r\n", "451"),
            ("MAIL FROM:<a@example.com>\r\n", "250"),
            ("RCPT TO:<b@example.com>\r\n", "250"),
            ("RCPT TO:<c@example.com>\r\n", "250"),
            ("DATA\r\n", "354"),
            ("Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n", "250"),
            ("NOOP\r\n", "250"),
            ("QUIT\r\n", "221"),
        ];
        for (send, code) in steps {
            write.write_all(send.as_bytes()).await.unwrap();
            expect(&mut reader, code).await;
        }
        let messages = sink.wait_for_messages(1, Duration::from_secs(5)).await;
        assert_eq!(messages[0].from, "a@example.com");
        assert_eq!(messages[0].recipients, ["b@example.com", "c@example.com"]);
        assert_eq!(messages[0].header("subject").as_deref(), Some("hi"));
        assert_eq!(messages[0].body(), ".dot\r\nbody\r\n");
        assert_eq!(messages[0].auth.as_deref(), Some("PLAIN AHVzZXIAcGFzcw=="));
    }
}
