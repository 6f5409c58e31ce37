//! The Lua scripts, one per state change, each sharing `lua/prelude.lua`.

use std::time::Instant;

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, ServerErrorKind};

use super::keys::QueueKeys;
use crate::metrics::{Histogram, LATENCY_BUCKETS};

const PRELUDE: &str = include_str!("lua/prelude.lua");
/// Operator actions, shared by the scripts that apply them.
const ACTIONS: &str = include_str!("lua/actions.lua");
/// Bulk operation records and walks, shared by the bulk scripts.
const BULK: &str = include_str!("lua/bulk.lua");

pub struct Script {
    source: String,
    sha: String,
}

impl Script {
    fn new(body: &str) -> Self {
        let source = format!("{PRELUDE}\n{body}");
        let sha = redis::Script::new(&source).get_hash().to_owned();
        Self { source, sha }
    }

    /// An EVALSHA of this script on a queue's keys.
    pub fn call(&self, queue: &QueueKeys) -> Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&self.sha)
            .arg(queue.keys.len())
            .arg(&queue.keys)
            .arg(&queue.base);
        cmd
    }

    /// The same call with the script's source, for MULTI blocks, where a missing script
    /// would fail one command and leave the others applied.
    pub fn call_with_source(&self, queue: &QueueKeys) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.source)
            .arg(queue.keys.len())
            .arg(&queue.keys)
            .arg(&queue.base);
        cmd
    }
}

fn bulk(body: &str) -> Script {
    Script::new(&format!("{ACTIONS}\n{BULK}\n{body}"))
}

pub struct Scripts {
    pub enqueue: Script,
    pub reserve: Script,
    pub ack: Script,
    pub fail: Script,
    pub extend: Script,
    pub xray: Script,
    pub maintain: Script,
    pub list_jobs: Script,
    pub pause: Script,
    pub act: Script,
    pub bulk_start: Script,
    pub bulk_claim: Script,
    pub bulk_read: Script,
    pub bulk_chunk: Script,
    pub bulk_stop: Script,
    /// How long each script call (or pipeline of them) took to answer.
    pub roundtrip: Histogram,
}

impl Scripts {
    pub fn new() -> Self {
        Self {
            enqueue: Script::new(include_str!("lua/enqueue.lua")),
            reserve: Script::new(include_str!("lua/reserve.lua")),
            ack: Script::new(include_str!("lua/ack.lua")),
            fail: Script::new(include_str!("lua/fail.lua")),
            extend: Script::new(include_str!("lua/extend.lua")),
            xray: Script::new(include_str!("lua/xray.lua")),
            maintain: Script::new(include_str!("lua/maintain.lua")),
            list_jobs: Script::new(include_str!("lua/list_jobs.lua")),
            pause: Script::new(include_str!("lua/pause.lua")),
            act: Script::new(&format!("{ACTIONS}\n{}", include_str!("lua/act.lua"))),
            bulk_start: bulk(include_str!("lua/bulk_start.lua")),
            bulk_claim: bulk(include_str!("lua/bulk_claim.lua")),
            bulk_read: bulk(include_str!("lua/bulk_read.lua")),
            bulk_chunk: bulk(include_str!("lua/bulk_chunk.lua")),
            bulk_stop: bulk(include_str!("lua/bulk_stop.lua")),
            roundtrip: Histogram::new(LATENCY_BUCKETS),
        }
    }

    fn all(&self) -> [&Script; 15] {
        [
            &self.enqueue,
            &self.reserve,
            &self.ack,
            &self.fail,
            &self.extend,
            &self.xray,
            &self.maintain,
            &self.list_jobs,
            &self.pause,
            &self.act,
            &self.bulk_start,
            &self.bulk_claim,
            &self.bulk_read,
            &self.bulk_chunk,
            &self.bulk_stop,
        ]
    }

    /// Loads every script; Redis forgets them on restart.
    pub async fn load<C: ConnectionLike>(&self, conn: &mut C) -> Result<(), RedisError> {
        let mut pipe = redis::pipe();
        for script in self.all() {
            pipe.cmd("SCRIPT").arg("LOAD").arg(&script.source).ignore();
        }
        pipe.query_async::<()>(conn).await
    }

    /// Runs a command that calls scripts, loading them once if Redis lost them.
    pub async fn query<C: ConnectionLike, T: FromRedisValue>(
        &self,
        conn: &mut C,
        cmd: &Cmd,
    ) -> Result<T, RedisError> {
        let started = Instant::now();
        let result = cmd.query_async(conn).await;
        self.roundtrip.observe(started.elapsed());
        match result {
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.load(conn).await?;
                cmd.query_async(conn).await
            }
            result => result,
        }
    }

    /// As `query`, for a pipeline whose other commands are safe to repeat.
    pub async fn query_pipeline<C: ConnectionLike, T: FromRedisValue>(
        &self,
        conn: &mut C,
        pipe: &Pipeline,
    ) -> Result<T, RedisError> {
        let started = Instant::now();
        let result = pipe.query_async(conn).await;
        self.roundtrip.observe(started.elapsed());
        match result {
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.load(conn).await?;
                pipe.query_async(conn).await
            }
            result => result,
        }
    }
}
