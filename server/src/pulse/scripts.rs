//! The pulse's Lua scripts. Each touches one key, so each stays in one hash slot.

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, ServerErrorKind};

pub struct Script {
    source: &'static str,
    sha: String,
}

impl Script {
    fn new(source: &'static str) -> Self {
        let sha = redis::Script::new(source).get_hash().to_owned();
        Self { source, sha }
    }

    /// An EVALSHA on one key.
    pub fn call(&self, key: &str) -> Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&self.sha).arg(1).arg(key);
        cmd
    }
}

pub struct Scripts {
    pub record: Script,
    pub metrics: Script,
    pub forget: Script,
}

impl Scripts {
    pub fn new() -> Self {
        Self {
            record: Script::new(include_str!("lua/record.lua")),
            metrics: Script::new(include_str!("lua/metrics.lua")),
            forget: Script::new(include_str!("lua/forget.lua")),
        }
    }

    async fn load<C: ConnectionLike>(&self, conn: &mut C) -> Result<(), RedisError> {
        let mut pipe = redis::pipe();
        for script in [&self.record, &self.metrics, &self.forget] {
            pipe.cmd("SCRIPT").arg("LOAD").arg(script.source).ignore();
        }
        pipe.query_async::<()>(conn).await
    }

    /// Runs a pipeline that calls scripts, loading them once if Redis lost them; its other
    /// commands must be safe to repeat.
    pub async fn query<C: ConnectionLike, T: FromRedisValue>(
        &self,
        conn: &mut C,
        pipe: &Pipeline,
    ) -> Result<T, RedisError> {
        match pipe.query_async(conn).await {
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.load(conn).await?;
                pipe.query_async(conn).await
            }
            result => result,
        }
    }
}
