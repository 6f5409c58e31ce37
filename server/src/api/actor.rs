//! Who is asking, as recorded with enqueues and operator actions: the API key, and what the
//! caller says of itself in `x-zenith-actor`.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use tonic::Request;

use crate::auth::principal;
use crate::queue::QueueError;

/// The request metadata a caller may set to say who it acts for.
pub const ACTOR_HEADER: &str = "x-zenith-actor";
const MAX_ACTOR_BYTES: usize = 128;

/// The caller's `x-zenith-actor` (1-128 printable ASCII characters), else `anonymous@<peer ip>`;
/// with an API key, the key too: `<actor> via key:<id>`, or `key:<id> (<name>)`.
pub fn actor<T>(request: &Request<T>) -> Result<String, QueueError> {
    let key = principal(request).and_then(|principal| principal.key.as_ref());
    match (request.metadata().get(ACTOR_HEADER), key) {
        (None, Some(key)) => return Ok(format!("key:{} ({})", key.id, key.name)),
        (Some(_), Some(key)) => return Ok(format!("{} via key:{}", said_actor(request)?, key.id)),
        _ => {}
    }
    said_actor(request)
}

fn said_actor<T>(request: &Request<T>) -> Result<String, QueueError> {
    match request.metadata().get(ACTOR_HEADER) {
        Some(value) => {
            let bytes = value.as_bytes();
            if bytes.is_empty()
                || bytes.len() > MAX_ACTOR_BYTES
                || !bytes.iter().all(|b| (0x20..0x7f).contains(b))
            {
                return Err(QueueError::invalid(
                    ACTOR_HEADER,
                    "must be 1-128 printable ASCII characters",
                ));
            }
            Ok(String::from_utf8_lossy(bytes).into_owned())
        }
        None => {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0)
                .or_else(|| request.remote_addr());
            Ok(match peer {
                Some(peer) => format!("anonymous@{}", peer.ip()),
                None => "anonymous".to_owned(),
            })
        }
    }
}
