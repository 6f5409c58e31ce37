//! One connection type for a single Redis server and for Redis Cluster, so the engine, pulse,
//! logs and loops run unchanged on either. Every key of a queue carries its hash tag, so each
//! script and each command lands on one slot; what a cluster adds is pipelines whose commands
//! span slots, which `RedisConn` splits by slot before sending.

use std::collections::HashMap;
use std::time::Duration;

use futures::future::try_join_all;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::Slot;
use redis::io::tcp::TcpSettings;
use redis::{
    Cmd, ConnectionInfo, IntoConnectionInfo, Pipeline, RedisFuture, RedisResult, ServerErrorKind,
    TlsCertificates, Value,
};

const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A shared connection that reconnects by itself: to one server, or to every master of a
/// cluster (following MOVED and failovers).
#[derive(Clone)]
pub enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// Where Redis is, and how to open connections to it.
#[derive(Clone)]
pub enum RedisClient {
    Single(Box<redis::Client>),
    Cluster(Box<ClusterClients>),
}

#[derive(Clone)]
pub struct ClusterClients {
    /// Answers within the response timeout.
    shared: ClusterClient,
    /// No response timeout, for `XREAD BLOCK`.
    blocking: ClusterClient,
    /// The first node given, for questions about one node (`INFO`, `CONFIG GET`).
    seed: redis::Client,
}

/// Why `--redis-url` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RedisUrlError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

impl RedisClient {
    /// Opens a client for `urls`: one URL, or for a cluster one or more seed nodes separated by
    /// commas. Whether Redis runs in cluster mode is asked of the first reachable seed
    /// (`INFO cluster`), so the same URL works for both.
    pub async fn open(urls: &str, root_cert: Option<Vec<u8>>) -> Result<Self, RedisUrlError> {
        let seeds = urls
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(|url| {
                url.into_connection_info()
                    // redis-rs leaves Nagle on, which holds back the tail of every pipeline
                    // for milliseconds.
                    .map(|info| info.set_tcp_settings(TcpSettings::default().set_nodelay(true)))
                    .map_err(|error| RedisUrlError::Invalid(error.to_string()))
            })
            .collect::<Result<Vec<ConnectionInfo>, _>>()?;
        let Some(first) = seeds.first() else {
            return Err(RedisUrlError::Invalid("no redis url given".into()));
        };
        let single = single_client(first.clone(), root_cert.clone())?;
        let mut probe = single
            .get_multiplexed_async_connection_with_config(
                &redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECTION_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT)),
            )
            .await?;
        let info: String = match redis::cmd("INFO")
            .arg("cluster")
            .query_async(&mut probe)
            .await
        {
            Ok(info) => info,
            // An ACL user may be denied INFO; Zenith never needed it on a single server.
            Err(error) if error.code() == Some("NOPERM") => {
                tracing::info!(%error, "redis denies INFO; taking it for a single server");
                String::new()
            }
            Err(error) => return Err(error.into()),
        };
        if !info.lines().any(|line| line.trim() == "cluster_enabled:1") {
            if seeds.len() > 1 {
                return Err(RedisUrlError::Invalid(
                    "several urls given but redis is not in cluster mode".into(),
                ));
            }
            return Ok(Self::Single(Box::new(single)));
        }
        let builder = |timeout: Option<Duration>| {
            let mut builder = ClusterClientBuilder::new(seeds.clone())
                .connection_timeout(CONNECTION_TIMEOUT)
                .tcp_settings(TcpSettings::default().set_nodelay(true))
                .retries(6)
                .min_retry_wait(50)
                .max_retry_wait(1_000);
            if let Some(timeout) = timeout {
                builder = builder
                    .response_timeout(timeout)
                    // Retries after a failover need longer than one answer does.
                    .overall_response_timeout(Some(timeout * 3));
            }
            if let Some(root_cert) = &root_cert {
                builder = builder.certs(TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert.clone()),
                });
            }
            builder.build()
        };
        Ok(Self::Cluster(Box::new(ClusterClients {
            shared: builder(Some(RESPONSE_TIMEOUT))?,
            blocking: builder(None)?,
            seed: single,
        })))
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// A connection to share between tasks, with a response timeout and reconnection.
    pub async fn shared(&self) -> RedisResult<RedisConn> {
        match self {
            Self::Single(client) => manager(client, Some(RESPONSE_TIMEOUT)).await,
            Self::Cluster(clients) => Ok(RedisConn::Cluster(
                clients.shared.get_async_connection().await?,
            )),
        }
    }

    /// A connection to the one node named first in the URL, for what each node answers for
    /// itself (`INFO`, `CONFIG GET`, `TIME`); on a single server, the server.
    pub async fn seed(&self) -> RedisResult<RedisConn> {
        match self {
            Self::Single(_) => self.shared().await,
            Self::Cluster(clients) => manager(&clients.seed, Some(RESPONSE_TIMEOUT)).await,
        }
    }

    /// A connection of its own without a response timeout, for blocking reads such as
    /// `XREAD BLOCK` (which would stall a shared one); callers bound each read.
    pub async fn blocking(&self) -> RedisResult<RedisConn> {
        match self {
            Self::Single(client) => manager(client, None).await,
            Self::Cluster(clients) => Ok(RedisConn::Cluster(
                clients.blocking.get_async_connection().await?,
            )),
        }
    }
}

/// A reconnecting connection to one server; `None` waits for answers however long they take
/// (redis-rs would otherwise give up after 500 ms).
async fn manager(
    client: &redis::Client,
    response_timeout: Option<Duration>,
) -> RedisResult<RedisConn> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECTION_TIMEOUT))
        .set_response_timeout(response_timeout)
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_millis(500));
    let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
    Ok(RedisConn::Single(manager))
}

fn single_client(
    info: ConnectionInfo,
    root_cert: Option<Vec<u8>>,
) -> Result<redis::Client, RedisUrlError> {
    match root_cert {
        Some(root_cert) => redis::Client::build_with_tls(
            info,
            TlsCertificates {
                client_tls: None,
                root_cert: Some(root_cert),
            },
        ),
        None => redis::Client::open(info),
    }
    .map_err(|error| RedisUrlError::Invalid(error.to_string()))
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => match split_mget(cmd) {
                Some(parts) => Box::pin(join_mget(conn.clone(), parts)),
                None => conn.req_packed_command(cmd),
            },
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            // A MULTI block must be one slot already; Redis refuses it otherwise.
            Self::Cluster(conn) => {
                if pipeline.is_transaction() {
                    conn.req_packed_commands(pipeline, offset, count)
                } else {
                    Box::pin(split_pipeline(conn.clone(), pipeline))
                }
            }
        }
    }

    fn get_db(&self) -> i64 {
        0
    }
}

/// Runs a pipeline whose commands may span slots: commands of one slot travel together, and
/// commands without a key, or with keys in several slots, go alone (the cluster connection
/// routes and splits those). A pipeline of reads sends one group per slot, all at once; one
/// that writes sends each run of consecutive same-slot commands after the previous run, so
/// the order the code wrote is the order Redis applies.
async fn split_pipeline(conn: ClusterConnection, pipeline: &Pipeline) -> RedisResult<Vec<Value>> {
    let commands: Vec<&Cmd> = pipeline.cmd_iter().collect();
    let reads_only = commands.iter().all(|cmd| is_read(cmd));
    let groups = group_by_slot(&commands, reads_only);
    let run = |group: Vec<usize>| {
        let mut conn = conn.clone();
        let commands = &commands;
        async move {
            let values = if let [index] = group[..] {
                vec![conn.req_packed_command(commands[index]).await?]
            } else {
                let mut part = redis::pipe();
                for &index in &group {
                    part.add_command(commands[index].clone());
                }
                conn.req_packed_commands(&part, 0, group.len()).await?
            };
            Ok::<_, redis::RedisError>(group.into_iter().zip(values).collect::<Vec<_>>())
        }
    };
    let answered: Vec<Vec<(usize, Value)>> = if reads_only {
        try_join_all(groups.into_iter().map(run)).await?
    } else {
        let mut answered = Vec::with_capacity(groups.len());
        for group in groups {
            answered.push(run(group).await?);
        }
        answered
    };
    let mut values = vec![Value::Nil; commands.len()];
    for (index, value) in answered.into_iter().flatten() {
        values[index] = value;
    }
    // Inside a pipeline a slot that moved (a failover) comes back as a MOVED reply per command,
    // which the cluster connection does not follow; Redis ran none of them, so each is sent
    // again alone, in order, where single commands are redirected and the slot map refreshed.
    for (index, value) in values.iter_mut().enumerate() {
        if is_redirect(value) {
            *value = conn.clone().req_packed_command(commands[index]).await?;
        }
    }
    Ok(values)
}

fn is_redirect(value: &Value) -> bool {
    matches!(value, Value::ServerError(error)
        if matches!(error.kind(), Some(ServerErrorKind::Moved | ServerErrorKind::Ask)))
}

/// An `MGET` whose keys span slots, as one `MGET` per slot and the position of each key. The
/// cluster connection can split it too, but miscounts replies while slots move.
struct MgetParts {
    pipeline: Pipeline,
    positions: Vec<Vec<usize>>,
    keys: usize,
}

fn split_mget(cmd: &Cmd) -> Option<MgetParts> {
    let args = args(cmd);
    if !args.first()?.eq_ignore_ascii_case(b"MGET") || single_slot(cmd).is_some() {
        return None;
    }
    let keys = &args[1..];
    let mut by_slot: HashMap<Slot, usize> = HashMap::new();
    let mut groups: Vec<(Cmd, Vec<usize>)> = Vec::new();
    for (position, key) in keys.iter().enumerate() {
        let group = *by_slot.entry(Slot::for_key(key)).or_insert_with(|| {
            groups.push((redis::cmd("MGET"), Vec::new()));
            groups.len() - 1
        });
        groups[group].0.arg(*key);
        groups[group].1.push(position);
    }
    let mut pipeline = redis::pipe();
    let mut positions = Vec::with_capacity(groups.len());
    for (mget, group) in groups {
        pipeline.add_command(mget);
        positions.push(group);
    }
    Some(MgetParts {
        pipeline,
        positions,
        keys: keys.len(),
    })
}

async fn join_mget(conn: ClusterConnection, parts: MgetParts) -> RedisResult<Value> {
    let replies = split_pipeline(conn, &parts.pipeline).await?;
    let mut values = vec![Value::Nil; parts.keys];
    for (reply, positions) in replies.into_iter().zip(parts.positions) {
        let items = match reply {
            Value::Array(items) => items,
            Value::ServerError(error) => return Err(error.into()),
            other => {
                return Err(redis::RedisError::from((
                    redis::ErrorKind::Client,
                    "unexpected MGET reply",
                    format!("{other:?}"),
                )));
            }
        };
        for (position, value) in positions.into_iter().zip(items) {
            values[position] = value;
        }
    }
    Ok(Value::Array(values))
}

/// Groups command indexes by the one slot their keys hash to: every command of a slot in one
/// group when `merge`, else only consecutive ones. A command with no key or several slots is
/// a group of its own.
fn group_by_slot(commands: &[&Cmd], merge: bool) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_slot: HashMap<Slot, usize> = HashMap::new();
    let mut previous: Option<Slot> = None;
    for (index, cmd) in commands.iter().enumerate() {
        let slot = single_slot(cmd);
        match slot {
            Some(slot) if merge && by_slot.contains_key(&slot) => {
                groups[by_slot[&slot]].push(index)
            }
            Some(slot) if previous == Some(slot) => groups.last_mut().expect("a group").push(index),
            Some(slot) => {
                by_slot.insert(slot, groups.len());
                groups.push(vec![index]);
            }
            None => groups.push(vec![index]),
        }
        previous = slot;
    }
    groups
}

fn args(cmd: &Cmd) -> Vec<&[u8]> {
    cmd.args_iter()
        .map(|arg| match arg {
            redis::Arg::Simple(bytes) => bytes,
            _ => &b""[..],
        })
        .collect()
}

/// The slot of every key the command names, when they share one; `None` for commands without
/// keys or across slots.
fn single_slot(cmd: &Cmd) -> Option<Slot> {
    let args = args(cmd);
    let name = args.first()?.to_ascii_uppercase();
    let keys: Vec<&[u8]> = match name.as_slice() {
        b"EVAL" | b"EVALSHA" | b"EVAL_RO" | b"EVALSHA_RO" | b"FCALL" | b"FCALL_RO" => {
            let count: usize = std::str::from_utf8(args.get(2)?).ok()?.parse().ok()?;
            args.get(3..3 + count)?.to_vec()
        }
        b"XREAD" | b"XREADGROUP" => {
            let streams = args
                .iter()
                .position(|arg| arg.eq_ignore_ascii_case(b"STREAMS"))?;
            let rest = &args[streams + 1..];
            rest[..rest.len() / 2].to_vec()
        }
        b"MGET" | b"DEL" | b"UNLINK" | b"EXISTS" | b"TOUCH" => args[1..].to_vec(),
        b"TIME" | b"PING" | b"INFO" | b"SCRIPT" | b"CONFIG" | b"DBSIZE" | b"MULTI" | b"EXEC" => {
            Vec::new()
        }
        // Every other command this server sends names one key, right after the command
        // (`XGROUP CREATE key`, `XINFO GROUPS key`: after the subcommand).
        b"XGROUP" | b"XINFO" | b"OBJECT" | b"MEMORY" => vec![*args.get(2)?],
        _ => vec![*args.get(1)?],
    };
    let mut slots = keys.iter().map(Slot::for_key);
    let first = slots.next()?;
    slots.all(|slot| slot == first).then_some(first)
}

/// Read-only commands, whose groups may run in any order.
fn is_read(cmd: &Cmd) -> bool {
    let args = args(cmd);
    let Some(name) = args.first() else {
        return false;
    };
    const READS: &[&str] = &[
        "GET",
        "MGET",
        "EXISTS",
        "TTL",
        "PTTL",
        "TYPE",
        "STRLEN",
        "HGET",
        "HMGET",
        "HGETALL",
        "HLEN",
        "HEXISTS",
        "HKEYS",
        "HVALS",
        "ZCARD",
        "ZCOUNT",
        "ZSCORE",
        "ZMSCORE",
        "ZRANGE",
        "ZRANGEBYSCORE",
        "ZREVRANGE",
        "ZREVRANGEBYSCORE",
        "ZRANK",
        "LLEN",
        "LRANGE",
        "SCARD",
        "SMEMBERS",
        "SISMEMBER",
        "XLEN",
        "XRANGE",
        "XREVRANGE",
        "XINFO",
        "XPENDING",
        "TIME",
        "PING",
        "INFO",
        "DBSIZE",
        "XREAD",
        "EVALSHA_RO",
        "EVAL_RO",
    ];
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    READS.contains(&name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot_of(key: &str) -> Slot {
        Slot::for_key(key)
    }

    #[test]
    fn a_script_call_is_routed_by_its_keys() {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg("abc")
            .arg(2)
            .arg("zenith:{q}:meta")
            .arg("zenith:{q}:pending")
            .arg("zenith:{q}:");
        assert_eq!(single_slot(&cmd), Some(slot_of("{q}")));
        let mut keyless = redis::cmd("EVALSHA");
        keyless.arg("abc").arg(0).arg("x");
        assert_eq!(single_slot(&keyless), None);
    }

    #[test]
    fn multi_key_commands_across_slots_go_alone() {
        let mut same = redis::cmd("MGET");
        same.arg("zenith:{a}:meta").arg("zenith:{a}:totals");
        assert_eq!(single_slot(&same), Some(slot_of("{a}")));
        let mut across = redis::cmd("MGET");
        across.arg("zenith:{a}:meta").arg("zenith:{b}:meta");
        assert_eq!(single_slot(&across), None);
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg("g")
            .arg("c")
            .arg("COUNT")
            .arg(10)
            .arg("STREAMS")
            .arg("zenith:{a}:events")
            .arg(">");
        assert_eq!(single_slot(&read), Some(slot_of("{a}")));
    }

    #[test]
    fn an_mget_across_slots_splits_per_slot_and_remembers_positions() {
        let mut mget = redis::cmd("MGET");
        mget.arg("zenith:{a}:meta")
            .arg("zenith:{b}:meta")
            .arg("zenith:{a}:totals");
        let parts = split_mget(&mget).expect("spans slots");
        assert_eq!(parts.keys, 3);
        assert_eq!(parts.positions, vec![vec![0, 2], vec![1]]);
        let mut same = redis::cmd("MGET");
        same.arg("zenith:{a}:meta").arg("zenith:{a}:totals");
        assert!(split_mget(&same).is_none());
    }

    #[test]
    fn writes_keep_their_order_and_reads_merge_by_slot() {
        let mut a1 = redis::cmd("HSET");
        a1.arg("zenith:{a}:meta").arg("f").arg(1);
        let mut a2 = redis::cmd("HSET");
        a2.arg("zenith:{a}:totals").arg("f").arg(1);
        let mut b = redis::cmd("ZADD");
        b.arg("zenith:bulk-running").arg(1).arg("x");
        let mut a3 = redis::cmd("HGET");
        a3.arg("zenith:{a}:meta").arg("f");
        let time = redis::cmd("TIME");
        let commands = [&a1, &a2, &b, &a3, &time];
        assert_eq!(
            group_by_slot(&commands, false),
            vec![vec![0, 1], vec![2], vec![3], vec![4]]
        );
        assert_eq!(
            group_by_slot(&commands, true),
            vec![vec![0, 1, 3], vec![2], vec![4]]
        );
    }
}
