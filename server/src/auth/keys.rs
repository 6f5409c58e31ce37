//! API keys: the token format, and the keyring every replica holds in memory.
//!
//! A token is `zk_<id>_<secret>`. The id is public (it names the key in lists and the audit
//! log); only a SHA-256 of the secret is stored. The secret is 40 random alphanumerics (about
//! 238 bits), so a fast hash is enough: there is nothing to brute-force.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{ApiKey, Role};

use super::QueueLimit;
use super::error::{AuthError, Result};
use super::store::AuthStore;
use crate::queue::timestamp_from_ms;

const TOKEN_PREFIX: &str = "zk_";
const ID_LEN: usize = 12;
const SECRET_LEN: usize = 40;
/// How often each replica reloads the keys, which bounds how long a revocation made on another
/// replica takes to apply here.
const REFRESH_INTERVAL: Duration = Duration::from_secs(3);

/// A token as presented by a caller, or freshly made.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub id: String,
    secret: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({TOKEN_PREFIX}{}_***)", self.id)
    }
}

impl Token {
    pub fn generate() -> Self {
        const ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let id = (0..ID_LEN)
            .map(|_| ID_CHARS[rng.random_range(0..ID_CHARS.len())] as char)
            .collect();
        let secret = (&mut rng)
            .sample_iter(rand::distr::Alphanumeric)
            .take(SECRET_LEN)
            .map(char::from)
            .collect();
        Self { id, secret }
    }

    /// `zk_<id>_<secret>`: an id of 3-32 of `[a-z0-9-]`, a secret of 32-128 alphanumerics.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let rest = text
            .strip_prefix(TOKEN_PREFIX)
            .ok_or("api keys start with zk_")?;
        let (id, secret) = rest
            .split_once('_')
            .ok_or("api keys look like zk_<id>_<secret>")?;
        let id_ok = (3..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let secret_ok =
            (32..=128).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_alphanumeric());
        if !id_ok || !secret_ok {
            return Err("api keys look like zk_<id>_<secret>");
        }
        Ok(Self {
            id: id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    pub fn secret_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }

    /// The whole token, to show once.
    pub fn reveal(&self) -> String {
        format!("{TOKEN_PREFIX}{}_{}", self.id, self.secret)
    }
}

/// A key as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredKey {
    pub id: String,
    pub name: String,
    pub secret_sha256: String,
    pub role: Role,
    pub queue_limit: QueueLimit,
    pub payloads: bool,
    /// 0 is unlimited.
    pub requests_per_second: u32,
    pub created_at_ms: i64,
    pub created_by: String,
    pub expires_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

impl StoredKey {
    pub fn to_proto(&self) -> ApiKey {
        ApiKey {
            id: self.id.clone(),
            name: self.name.clone(),
            role: self.role as i32,
            queues: self.queue_limit.queues.clone(),
            queue_prefix: self.queue_limit.prefix.clone(),
            payloads: self.payloads,
            requests_per_second: i32::try_from(self.requests_per_second).unwrap_or(i32::MAX),
            created_at: Some(timestamp_from_ms(self.created_at_ms)),
            created_by: self.created_by.clone(),
            expires_at: self.expires_at_ms.map(timestamp_from_ms),
            revoked_at: self.revoked_at_ms.map(timestamp_from_ms),
        }
    }

    fn matches(&self, token: &Token) -> bool {
        let presented = token.secret_sha256();
        // Constant time, so response timing says nothing about how much of the hash matched.
        presented.len() == self.secret_sha256.len()
            && presented
                .bytes()
                .zip(self.secret_sha256.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

/// A token bucket: `rate` calls per second, bursts of up to `rate`.
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Every key, cached, plus whether the server runs open. Revocations and new keys made here
/// apply at once; those made elsewhere (another replica, `zenith keys`) on the next refresh or,
/// for a new key, on its first use.
pub struct Keyring {
    store: AuthStore,
    keys: std::sync::RwLock<HashMap<String, Arc<StoredKey>>>,
    /// True once any key exists: from then on every call needs one, even after revocations.
    closed: AtomicBool,
    /// Loopback, or `--insecure`: open mode is allowed while no key exists.
    open_allowed: bool,
    buckets: std::sync::Mutex<HashMap<String, Bucket>>,
}

impl Keyring {
    pub async fn load(store: AuthStore, open_allowed: bool) -> Result<Arc<Self>> {
        let keyring = Arc::new(Self {
            store,
            keys: Default::default(),
            closed: AtomicBool::new(false),
            open_allowed,
            buckets: Default::default(),
        });
        keyring.refresh().await?;
        Ok(keyring)
    }

    pub fn store(&self) -> &AuthStore {
        &self.store
    }

    /// True while no key exists and open mode is allowed: every caller is an admin.
    pub fn is_open(&self) -> bool {
        self.open_allowed && !self.closed.load(Ordering::Relaxed)
    }

    pub fn has_keys(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    pub async fn refresh(&self) -> Result<()> {
        let keys = self.store.all_keys().await?;
        if !keys.is_empty() {
            self.closed.store(true, Ordering::Relaxed);
        }
        let keys = keys
            .into_iter()
            .map(|key| (key.id.clone(), Arc::new(key)))
            .collect();
        *self.keys.write().expect("keyring lock") = keys;
        Ok(())
    }

    pub async fn run_refresh(self: Arc<Self>, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(REFRESH_INTERVAL) => {}
            }
            if let Err(error) = crate::metrics::loop_pass("keyring_refresh", self.refresh()).await {
                tracing::warn!(%error, "could not reload api keys; keeping the ones loaded");
            }
        }
    }

    /// The key a token belongs to, if it is valid now.
    pub async fn authenticate(&self, token: &Token, now_ms: i64) -> Result<Arc<StoredKey>> {
        let cached = self.cached(&token.id);
        let key = match cached {
            Some(key) => key,
            None => match self.store.get_key(&token.id).await? {
                Some(key) => self.remember(key),
                None => return Err(invalid_key()),
            },
        };
        if !key.matches(token) {
            return Err(invalid_key());
        }
        if key.revoked_at_ms.is_some() {
            return Err(AuthError::Unauthenticated(format!(
                "api key {} was revoked",
                key.id
            )));
        }
        if key.expires_at_ms.is_some_and(|expires| expires <= now_ms) {
            return Err(AuthError::Unauthenticated(format!(
                "api key {} has expired",
                key.id
            )));
        }
        Ok(key)
    }

    fn cached(&self, id: &str) -> Option<Arc<StoredKey>> {
        self.keys.read().expect("keyring lock").get(id).cloned()
    }

    /// Puts a key read or written by this replica into the cache.
    pub fn remember(&self, key: StoredKey) -> Arc<StoredKey> {
        self.closed.store(true, Ordering::Relaxed);
        let key = Arc::new(key);
        self.keys
            .write()
            .expect("keyring lock")
            .insert(key.id.clone(), key.clone());
        key
    }

    /// Takes one call from the key's budget, or says how long to wait.
    pub fn take_call(&self, key: &StoredKey) -> Result<()> {
        if key.requests_per_second == 0 {
            return Ok(());
        }
        let rate = f64::from(key.requests_per_second);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("bucket lock");
        let bucket = buckets.entry(key.id.clone()).or_insert(Bucket {
            tokens: rate,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(AuthError::RateLimited {
            key: key.id.clone(),
            limit: key.requests_per_second,
            retry_after: Duration::from_secs_f64((1.0 - bucket.tokens) / rate),
        })
    }
}

fn invalid_key() -> AuthError {
    AuthError::Unauthenticated("api key is not valid".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_hash_the_secret_only() {
        let token = Token::generate();
        let text = token.reveal();
        assert!(text.starts_with("zk_"), "{text}");
        assert_eq!(Token::parse(&text).unwrap(), token);
        assert_eq!(token.secret_sha256().len(), 64);
        assert!(!format!("{token:?}").contains(&token.secret));
        assert_ne!(Token::generate(), token);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let secret = "a".repeat(40);
        for bad in [
            String::new(),
            "zk_".into(),
            format!("zz_abcd_{secret}"),
            format!("zk_AB_{secret}"),
            format!("zk_abcd_{}", "a".repeat(20)),
            format!("zk_abcd_{secret}!"),
            format!("zk_ab_{secret}"),
        ] {
            assert!(Token::parse(&bad).is_err(), "{bad}");
        }
        assert!(Token::parse(&format!("zk_bootstrap-admin_{secret}")).is_ok());
    }
}

/// A key to make, as asked for by `CreateApiKey` or `zenith keys create`.
#[derive(Clone, Debug)]
pub struct NewKey {
    pub name: String,
    pub role: Role,
    pub queues: Vec<String>,
    pub queue_prefix: String,
    pub payloads: bool,
    pub requests_per_second: i32,
    pub ttl: Option<Duration>,
}

const MIN_TTL: Duration = Duration::from_secs(60);

impl NewKey {
    /// Stores a new key and returns it with its token, the only time the secret exists outside
    /// the caller's hands.
    pub async fn create(
        self,
        keyring: Option<&Keyring>,
        store: &AuthStore,
        created_by: &str,
        now_ms: i64,
    ) -> Result<(StoredKey, Token)> {
        self.validate()?;
        let token = Token::generate();
        let key = StoredKey {
            id: token.id.clone(),
            name: self.name,
            secret_sha256: token.secret_sha256(),
            role: self.role,
            queue_limit: QueueLimit {
                queues: self.queues,
                prefix: self.queue_prefix,
            },
            payloads: self.payloads,
            requests_per_second: self.requests_per_second as u32,
            created_at_ms: now_ms,
            created_by: created_by.to_owned(),
            expires_at_ms: self.ttl.map(|ttl| now_ms + ttl.as_millis() as i64),
            revoked_at_ms: None,
        };
        // 12 random characters from 36: a collision is not worth a retry loop, only a refusal.
        if !store.insert_key(&key).await? {
            return Err(AuthError::KeyExists(key.id));
        }
        if let Some(keyring) = keyring {
            keyring.remember(key.clone());
        }
        Ok((key, token))
    }

    fn validate(&self) -> Result<()> {
        use crate::api::validate;
        validate::label("name", &self.name, 64, true)?;
        if matches!(self.role, Role::Unspecified) {
            return Err(AuthError::invalid(
                "role",
                "required: viewer, operator, admin or worker",
            ));
        }
        if self.queues.len() > 100 {
            return Err(AuthError::invalid("queues", "at most 100"));
        }
        for queue in &self.queues {
            validate::name("queues", queue)?;
        }
        if !self.queue_prefix.is_empty() {
            // A prefix is the start of a queue name: the same characters.
            validate::name("queue_prefix", &self.queue_prefix)?;
        }
        if !(0..=1_000_000).contains(&self.requests_per_second) {
            return Err(AuthError::invalid(
                "requests_per_second",
                "must be from 0 (unlimited) to 1000000",
            ));
        }
        if self.ttl.is_some_and(|ttl| ttl < MIN_TTL) {
            return Err(AuthError::invalid("ttl", "must be at least 1m"));
        }
        Ok(())
    }
}

/// Makes sure the admin key of `ZENITH_BOOTSTRAP_ADMIN_KEY` exists. A revoked one stays
/// revoked; the same id with another secret is refused.
pub async fn ensure_bootstrap_key(
    store: &AuthStore,
    token: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    let token =
        Token::parse(token).map_err(|why| anyhow::anyhow!("ZENITH_BOOTSTRAP_ADMIN_KEY: {why}"))?;
    if let Some(existing) = store.get_key(&token.id).await? {
        if !existing.matches(&token) {
            anyhow::bail!(
                "ZENITH_BOOTSTRAP_ADMIN_KEY: key {} exists with another secret",
                token.id
            );
        }
        return Ok(());
    }
    let key = StoredKey {
        id: token.id.clone(),
        name: "bootstrap admin".into(),
        secret_sha256: token.secret_sha256(),
        role: Role::Admin,
        queue_limit: QueueLimit::default(),
        payloads: true,
        requests_per_second: 0,
        created_at_ms: now_ms,
        created_by: "ZENITH_BOOTSTRAP_ADMIN_KEY".into(),
        expires_at_ms: None,
        revoked_at_ms: None,
    };
    store.insert_key(&key).await?;
    tracing::info!(key_id = token.id, "bootstrap admin key stored");
    Ok(())
}
