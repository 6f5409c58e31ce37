//! Several environments in one server. Each cluster has its own Redis, SQL database, stores and
//! background loops; a call picks its cluster by the `x-zenith-cluster` request metadata.
//! Identity (API keys, audit), health, reflection and `AdminService` are instance-wide.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic_types::{ErrorDetails, StatusExt};
use tower::ServiceExt;
use zenith_proto::v1::alert_service_server::AlertServiceServer;
use zenith_proto::v1::archive_service_server::ArchiveServiceServer;
use zenith_proto::v1::cron_service_server::CronServiceServer;
use zenith_proto::v1::log_service_server::LogServiceServer;
use zenith_proto::v1::pulse_service_server::PulseServiceServer;
use zenith_proto::v1::queue_service_server::QueueServiceServer;
use zenith_proto::v1::worker_service_server::WorkerServiceServer;

use crate::alerts::{AlertConfig, Alerts, Sources};
use crate::api::{AlertApi, ArchiveApi, CronApi, Limits, LogApi, PulseApi, QueueApi, WorkerApi};
use crate::archive::settings::{ArchiveDefaults, Settings};
use crate::archive::{archiver, retention, rollup, store};
use crate::config::{ClusterConfig, ServeConfig};
use crate::cron::{Cron, CronConfig};
use crate::db::Database;
use crate::demo;
use crate::logs::{LogConfig, Logs};
use crate::pulse::{Pulse, PulseConfig, SharedPulse};
use crate::queue::{Engine, EngineConfig, run_bulk_operations, run_maintenance};

/// The request metadata that names the cluster a call is for.
pub const CLUSTER_HEADER: &str = "x-zenith-cluster";

const MAINTENANCE_INTERVAL: Duration = Duration::from_millis(250);
/// How long `ListClusters` and `/readyz` wait for a Redis PING.
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// One running environment: what the instance-wide parts (readiness, `ListClusters`, metrics)
/// need to know of it.
#[derive(Clone)]
pub struct Cluster {
    pub name: String,
    /// The Redis URL without its password.
    pub redis_address: String,
    pub engine: Arc<Engine>,
    pub pulse: SharedPulse,
    pub database: Database,
}

impl Cluster {
    /// Connects the cluster's Redis and SQL, spawns its background loops into `background`
    /// (they end when `stop` is cancelled) and returns it with its gRPC services.
    pub async fn start(
        config: &ServeConfig,
        cluster: &ClusterConfig,
        redis_url: &str,
        background: &mut JoinSet<()>,
        stop: &CancellationToken,
    ) -> anyhow::Result<(Self, Routes)> {
        let engine = Arc::new(connect_engine(config, cluster, redis_url).await?);
        warn_unless_noeviction(&engine, &cluster.name).await;
        if let Some(parent) = sqlite_parent(&cluster.database_url) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("create directory {}", parent.display()))?;
        }
        let database = Database::connect(&cluster.database_url).await?;
        let archive = store::open(&database);
        let settings = Settings::load(
            archive.clone(),
            ArchiveDefaults {
                retention: config.archive_retention,
                index_on_enqueue: config.index_on_enqueue,
            },
        )
        .await?;
        let pulse = Pulse::new(
            engine.clone(),
            PulseConfig {
                lost_node_retention: config.lost_node_retention,
            },
        );
        let log_store = crate::logs::store::open(&database);
        let logs = Logs::new(
            engine.clone(),
            log_store.clone(),
            LogConfig {
                retention: config.log_retention,
                tail_window: config.log_tail_window,
            },
        );
        let limits = Limits {
            max_payload_bytes: config.max_payload_bytes,
        };
        let cron = Cron::new(
            engine.clone(),
            crate::cron::store::open(&database),
            archive.clone(),
            CronConfig {
                run_retention: config.cron_run_retention,
                limits: limits.clone(),
            },
        );
        let alerts = Alerts::new(
            crate::alerts::store::open(&database),
            Sources {
                engine: engine.clone(),
                pulse: pulse.clone(),
                schedules: crate::cron::store::open(&database),
                archive: archive.clone(),
            },
            AlertConfig {
                evaluation_interval: config.alert_evaluation_interval,
                history_retention: config.alert_history_retention,
            },
        );
        alerts.seed_default_rules().await?;

        background.spawn(run_maintenance(
            engine.clone(),
            MAINTENANCE_INTERVAL,
            stop.clone(),
        ));
        background.spawn(run_bulk_operations(engine.clone(), stop.clone()));
        background.spawn(archiver::run(
            engine.clone(),
            archive.clone(),
            settings.clone(),
            stop.clone(),
        ));
        background.spawn(retention::run(
            archive.clone(),
            settings.clone(),
            config.archive_prune_interval,
            stop.clone(),
        ));
        background.spawn(rollup::run(engine.clone(), archive.clone(), stop.clone()));
        background.spawn(settings.clone().run_refresh(stop.clone()));
        background.spawn(pulse.clone().run(stop.clone()));
        background.spawn(logs.clone().run(stop.clone()));
        background.spawn(cron.clone().run(stop.clone()));
        background.spawn(alerts.clone().run(stop.clone()));
        if config.demo {
            background.spawn(demo::run(engine.clone(), pulse.clone(), stop.clone()));
        }

        // Every service decodes messages up to --max-message-bytes; larger ones are refused
        // (RESOURCE_EXHAUSTED) from their length prefix, before they are read into memory.
        let max_message = config.max_message_bytes;
        let routes = Routes::new(
            QueueServiceServer::new(QueueApi::new(
                engine.clone(),
                archive.clone(),
                pulse.clone(),
                log_store.clone(),
                limits.clone(),
            ))
            .max_decoding_message_size(max_message),
        )
        .add_service(
            WorkerServiceServer::new(WorkerApi::new(engine.clone(), limits))
                .max_decoding_message_size(max_message),
        )
        .add_service(
            ArchiveServiceServer::new(ArchiveApi::new(
                engine.clone(),
                archive,
                settings,
                log_store,
            ))
            .max_decoding_message_size(max_message),
        )
        .add_service(
            PulseServiceServer::new(PulseApi::new(pulse.clone(), engine.stopping()))
                .max_decoding_message_size(max_message),
        )
        .add_service(
            LogServiceServer::new(LogApi::new(logs)).max_decoding_message_size(max_message),
        )
        .add_service(
            CronServiceServer::new(CronApi::new(cron)).max_decoding_message_size(max_message),
        )
        .add_service(
            AlertServiceServer::new(AlertApi::new(alerts)).max_decoding_message_size(max_message),
        );
        let cluster = Self {
            name: cluster.name.clone(),
            redis_address: redacted(redis_url),
            engine,
            pulse,
            database,
        };
        Ok((cluster, routes))
    }

    /// Whether Redis answers a PING within [`PING_TIMEOUT`]; the error says why not.
    pub async fn ping_redis(&self) -> Result<(), String> {
        match tokio::time::timeout(PING_TIMEOUT, self.engine.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {PING_TIMEOUT:?}")),
        }
    }
}

async fn connect_engine(
    config: &ServeConfig,
    cluster: &ClusterConfig,
    redis_url: &str,
) -> anyhow::Result<Engine> {
    let engine_config = EngineConfig {
        prefix: cluster.prefix.clone(),
        completed_retention: config.completed_retention,
        tls_root_certificates: redis_root_certificates(config)?,
        ..EngineConfig::default()
    };
    let mut attempt = 0;
    loop {
        match Engine::connect(redis_url, engine_config.clone()).await {
            Ok(engine) => return Ok(engine),
            Err(error) if attempt < 10 => {
                attempt += 1;
                tracing::warn!(%error, attempt, cluster = %cluster.name, "redis not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error).context("connect to redis"),
        }
    }
}

async fn warn_unless_noeviction(engine: &Engine, cluster: &str) {
    match engine.maxmemory_policy().await {
        Ok(policy) if policy == "noeviction" => {}
        Ok(policy) => tracing::warn!(
            policy,
            cluster,
            "redis maxmemory-policy is not noeviction: redis may evict jobs under memory \
             pressure; set `maxmemory-policy noeviction`"
        ),
        Err(error) => tracing::warn!(%error, cluster, "could not read redis maxmemory-policy"),
    }
}

/// The directory of a `sqlite://DIR/FILE` URL, so that per-cluster files under the data
/// directory can be created on first start.
fn sqlite_parent(url: &str) -> Option<&std::path::Path> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    std::path::Path::new(path)
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
}

/// The CA bundle of `--redis-ca-cert`, read and checked once per cluster at start-up.
fn redis_root_certificates(config: &ServeConfig) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(path) = &config.redis_ca_cert else {
        return Ok(None);
    };
    crate::listener::read_certificates(path, "--redis-ca-cert")?;
    Ok(Some(std::fs::read(path).with_context(|| {
        format!("--redis-ca-cert: cannot read {}", path.display())
    })?))
}

/// The URL without its password, for logs and `ListClusters`.
pub fn redacted(urls: &str) -> String {
    // A Redis Cluster may be given as several seed URLs separated by commas.
    let redact = |url: &str| match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    urls.split(',').map(redact).collect::<Vec<_>>().join(",")
}

/// Sends each call to the gRPC services of the cluster its metadata names.
#[derive(Clone)]
pub struct ClusterRouter {
    routers: Arc<HashMap<String, axum::Router>>,
    /// Configuration order; the first is the default.
    names: Arc<[String]>,
}

impl ClusterRouter {
    /// `clusters` in configuration order, the default first; never empty.
    pub fn new(clusters: Vec<(String, Routes)>) -> Self {
        let names = clusters.iter().map(|(name, _)| name.clone()).collect();
        let routers = clusters
            .into_iter()
            .map(|(name, routes)| (name, routes.into_axum_router()))
            .collect();
        Self {
            routers: Arc::new(routers),
            names,
        }
    }

    fn pick(&self, request: &Request) -> Result<&axum::Router, tonic::Status> {
        let name = match request.headers().get(CLUSTER_HEADER) {
            None => "",
            Some(value) => value.to_str().unwrap_or("\u{fffd}"),
        };
        let name = if name.is_empty() {
            &self.names[0]
        } else {
            name
        };
        self.routers
            .get(name)
            .ok_or_else(|| unknown_cluster(name, &self.names))
    }
}

fn unknown_cluster(name: &str, known: &[String]) -> tonic::Status {
    tonic::Status::with_error_details(
        tonic::Code::NotFound,
        format!(
            "{CLUSTER_HEADER}: no cluster named {name:?}; known: {}",
            known.join(", ")
        ),
        ErrorDetails::with_error_info(
            "CLUSTER_NOT_FOUND",
            "zenith.dev",
            HashMap::from([("cluster".to_owned(), name.to_owned())]),
        ),
    )
}

/// The instance-wide routes plus, for every per-cluster service, a route to the cluster the
/// call names.
pub fn route_services(instance: axum::Router, clusters: ClusterRouter) -> axum::Router {
    let dispatch = axum::routing::any(dispatch).with_state(clusters);
    [
        QueueServiceServer::<QueueApi>::NAME,
        WorkerServiceServer::<WorkerApi>::NAME,
        ArchiveServiceServer::<ArchiveApi>::NAME,
        PulseServiceServer::<PulseApi>::NAME,
        LogServiceServer::<LogApi>::NAME,
        CronServiceServer::<CronApi>::NAME,
        AlertServiceServer::<AlertApi>::NAME,
    ]
    .into_iter()
    .fold(instance, |router, service| {
        router.route(&format!("/{service}/{{*rest}}"), dispatch.clone())
    })
}

async fn dispatch(State(router): State<ClusterRouter>, request: Request) -> Response {
    match router.pick(&request) {
        Ok(cluster) => match cluster.clone().oneshot(request).await {
            Ok(response) => response,
            Err(infallible) => match infallible {},
        },
        Err(status) => status.into_http::<axum::body::Body>().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redacted("redis://:secret@10.0.0.1:6379/0"),
            "redis://***@10.0.0.1:6379/0"
        );
        assert_eq!(redacted("redis://10.0.0.1:6379"), "redis://10.0.0.1:6379");
    }

    #[test]
    fn per_cluster_sqlite_files_get_their_directory() {
        assert_eq!(
            sqlite_parent("sqlite://.zenith/cluster-prod.db"),
            Some(std::path::Path::new(".zenith"))
        );
        assert_eq!(sqlite_parent("sqlite://zenith.db"), None);
        assert_eq!(sqlite_parent("postgres://db/zenith"), None);
    }
}
