//! The browser console: the built `clients/web` assets, embedded at compile time (or read from
//! `--console-dir` while developing the console), served on the gRPC port under a strict
//! Content-Security-Policy. Every path that is not a file is the single-page app's own route.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// No inline script or style, no third-party origin, no framing: payloads and log lines that
/// slip into markup still cannot run.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NOT_BUILT: &str = "the console is not built into this binary: run \
     `npm --prefix clients/web ci && npm --prefix clients/web run build`, then rebuild zenith\n";

#[derive(Clone)]
pub struct Console {
    dir: Option<Arc<PathBuf>>,
}

impl Console {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir: dir.map(Arc::new),
        }
    }

    async fn file(&self, name: &str) -> Option<Vec<u8>> {
        match &self.dir {
            Some(dir) => {
                let relative = Path::new(name);
                // Only plain names below the directory: no `..`, no absolute paths.
                if !relative
                    .components()
                    .all(|part| matches!(part, Component::Normal(_)))
                {
                    return None;
                }
                tokio::fs::read(dir.join(relative)).await.ok()
            }
            None => embedded::ASSETS
                .iter()
                .find(|(asset, _)| *asset == name)
                .map(|(_, bytes)| bytes.to_vec()),
        }
    }
}

/// The router's fallback: console files, or `index.html` for the app's routes.
pub async fn serve(State(console): State<Console>, request: Request) -> Response {
    let is_grpc = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"));
    if is_grpc {
        let method = request.uri().path().to_owned();
        return tonic::Status::unimplemented(format!("unknown method {method}")).into_http();
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let name = request.uri().path().trim_start_matches('/');
    if !name.is_empty()
        && let Some(bytes) = console.file(name).await
    {
        let cache = if name.starts_with("assets/") {
            // Vite puts a content hash in every name under assets/.
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return respond(bytes, content_type(name), cache);
    }
    if name.starts_with("assets/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match console.file("index.html").await {
        Some(bytes) => respond(bytes, "text/html; charset=utf-8", "no-cache"),
        None => (StatusCode::NOT_FOUND, NOT_BUILT).into_response(),
    }
}

fn respond(bytes: Vec<u8>, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_console_dir_serves_only_files_below_it() {
        let root = tempfile::tempdir().expect("temp dir");
        let dist = root.path().join("dist");
        std::fs::create_dir_all(dist.join("assets")).expect("create dist");
        std::fs::write(dist.join("assets/app.js"), "app").expect("write asset");
        std::fs::write(root.path().join("secret.txt"), "secret").expect("write secret");
        let console = Console::new(Some(dist));

        assert_eq!(
            console.file("assets/app.js").await.as_deref(),
            Some(&b"app"[..])
        );
        assert_eq!(console.file("../secret.txt").await, None);
        assert_eq!(console.file("assets/../../secret.txt").await, None);
        let absolute = root.path().join("secret.txt");
        assert_eq!(console.file(absolute.to_str().expect("utf-8")).await, None);
    }

    #[test]
    fn every_console_file_kind_has_its_content_type() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/index-abc.css"),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
