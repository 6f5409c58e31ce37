//! `zenith serve`: gRPC over HTTP/2, grpc-web over HTTP/1.1, health and readiness, all on one
//! port, plus the background loops.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::routing::get;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};
use zenith_proto::v1::admin_service_server::AdminServiceServer;
use zenith_proto::v1::alert_service_server::AlertServiceServer;
use zenith_proto::v1::archive_service_server::ArchiveServiceServer;
use zenith_proto::v1::cron_service_server::CronServiceServer;
use zenith_proto::v1::log_service_server::LogServiceServer;
use zenith_proto::v1::pulse_service_server::PulseServiceServer;
use zenith_proto::v1::queue_service_server::QueueServiceServer;
use zenith_proto::v1::worker_service_server::WorkerServiceServer;

use crate::alerts::{AlertConfig, Alerts, Sources};
use crate::api::{
    AdminApi, AlertApi, ArchiveApi, CronApi, Limits, LogApi, PulseApi, QueueApi, ServerInfo,
    WorkerApi,
};
use crate::archive::settings::{ArchiveDefaults, Settings};
use crate::archive::{archiver, retention, rollup, store};
use crate::auth::audit::Auditor;
use crate::auth::keys::ensure_bootstrap_key;
use crate::auth::store::AuthStore;
use crate::auth::{Auth, Keyring};
use crate::config::ServeConfig;
use crate::console::{self, Console};
use crate::cron::{Cron, CronConfig};
use crate::db::Database;
use crate::listener::{self, Deadlines, Transport};
use crate::logs::{LogConfig, Logs};
use crate::pulse::{Pulse, PulseConfig};
use crate::queue::{Engine, EngineConfig, run_bulk_operations, run_maintenance};
use crate::{auth, demo, managed_redis, metrics};

const MAINTENANCE_INTERVAL: Duration = Duration::from_millis(250);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Readiness {
    engine: Arc<Engine>,
    database: Database,
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    // Certificate files are checked before anything starts.
    let transport = Transport::from_config(&config)?;
    let (redis_url, managed) = match &config.redis_url {
        Some(url) => (url.clone(), None),
        None => managed_redis::find_or_start(&config.data_dir).await?,
    };
    let result = serve_with_redis(&config, &redis_url, transport).await;
    if let Some(managed) = managed {
        managed.stop().await;
    }
    result
}

async fn connect_engine(config: &ServeConfig, redis_url: &str) -> anyhow::Result<Engine> {
    let engine_config = EngineConfig {
        prefix: config.prefix.clone(),
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
                tracing::warn!(%error, attempt, "redis not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error).context("connect to redis"),
        }
    }
}

async fn serve_with_redis(
    config: &ServeConfig,
    redis_url: &str,
    transport: Transport,
) -> anyhow::Result<()> {
    let engine = Arc::new(connect_engine(config, redis_url).await?);
    match engine.maxmemory_policy().await {
        Ok(policy) if policy == "noeviction" => {}
        Ok(policy) => tracing::warn!(
            policy,
            "redis maxmemory-policy is not noeviction: redis may evict jobs under memory \
             pressure; set `maxmemory-policy noeviction`"
        ),
        Err(error) => tracing::warn!(%error, "could not read redis maxmemory-policy"),
    }
    let started_at_ms = crate::auth::middleware::now_ms();
    let database = Database::connect(&config.database_url).await?;
    let installation = database.installation_id().await?;
    let auth_store = AuthStore::new(&database);
    if let Some(token) = &config.bootstrap_admin_key {
        ensure_bootstrap_key(&auth_store, token, started_at_ms).await?;
    }
    let open_allowed = config.listen.ip().is_loopback() || config.insecure;
    let keyring = Keyring::load(auth_store.clone(), open_allowed).await?;
    if !keyring.has_keys() && !open_allowed {
        anyhow::bail!(
            "refusing to serve {} with no api keys: anyone reaching it would be admin. Create a \
             key (`zenith keys create --role admin`) or set ZENITH_BOOTSTRAP_ADMIN_KEY, or pass \
             --insecure to serve open anyway",
            config.listen
        );
    }
    let (auditor, audit_writer) = Auditor::new(auth_store);
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

    let stop = CancellationToken::new();
    let mut background = tokio::task::JoinSet::new();
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
    background.spawn(keyring.clone().run_refresh(stop.clone()));
    background.spawn(audit_writer.run(stop.clone()));
    if config.demo {
        background.spawn(demo::run(engine.clone(), pulse.clone(), stop.clone()));
    }

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<QueueServiceServer<QueueApi>>().await;
    health.set_serving::<WorkerServiceServer<WorkerApi>>().await;
    health
        .set_serving::<ArchiveServiceServer<ArchiveApi>>()
        .await;
    health.set_serving::<PulseServiceServer<PulseApi>>().await;
    health.set_serving::<LogServiceServer<LogApi>>().await;
    health.set_serving::<CronServiceServer<CronApi>>().await;
    health.set_serving::<AlertServiceServer<AlertApi>>().await;
    health.set_serving::<AdminServiceServer<AdminApi>>().await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(zenith_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(zenith_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    // Every service decodes messages up to --max-message-bytes; larger ones are refused
    // (OUT_OF_RANGE) from their length prefix, before they are read into memory.
    let max_message = config.max_message_bytes;
    let grpc = tonic::service::Routes::new(
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
            archive.clone(),
            settings,
            log_store,
        ))
        .max_decoding_message_size(max_message),
    )
    .add_service(
        PulseServiceServer::new(PulseApi::new(pulse.clone(), engine.stopping()))
            .max_decoding_message_size(max_message),
    )
    .add_service(LogServiceServer::new(LogApi::new(logs)).max_decoding_message_size(max_message))
    .add_service(CronServiceServer::new(CronApi::new(cron)).max_decoding_message_size(max_message))
    .add_service(
        AlertServiceServer::new(AlertApi::new(alerts.clone()))
            .max_decoding_message_size(max_message),
    )
    .add_service(
        AdminServiceServer::new(AdminApi::new(
            keyring.clone(),
            ServerInfo {
                installation_id: installation.clone(),
                database: database.backend(),
                started_at_ms,
            },
        ))
        .max_decoding_message_size(max_message),
    )
    .add_service(health_service.max_decoding_message_size(max_message))
    .add_service(reflection_v1.max_decoding_message_size(max_message))
    .add_service(reflection_v1alpha.max_decoding_message_size(max_message));

    // One entry per cluster: the `cluster` label of its series.
    let collector = metrics::Collector::new(vec![metrics::Cluster {
        name: "default".to_owned(),
        engine: engine.clone(),
        pulse: pulse.clone(),
    }]);
    let readiness = Readiness {
        engine: engine.clone(),
        database: database.clone(),
    };
    // grpc-web translation wraps only the gRPC routes: it refuses other HTTP/1.1 requests.
    let app = grpc
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(
            Deadlines::new(config.request_timeout),
            listener::enforce_deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Auth {
                keyring: keyring.clone(),
                auditor,
                max_request_bytes: config.max_message_bytes,
            },
            auth::authorize,
        ))
        .layer(tonic_web::GrpcWebLayer::new())
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz).with_state(readiness))
        .route("/metrics", get(metrics::serve).with_state(collector))
        .fallback_service(
            axum::routing::any(console::serve).with_state(Console::new(config.console_dir.clone())),
        )
        .layer(cors(&config.cors_origins)?);

    let tcp_listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listen on {}", config.listen))?;
    tracing::info!(
        listen = %config.listen,
        redis = %redacted(redis_url),
        database = %redacted(&config.database_url),
        %installation,
        "zenith is serving"
    );
    if keyring.is_open() {
        tracing::warn!(
            listen = %config.listen,
            "OPEN MODE: no api keys exist, so every caller has full admin access. Create one \
             with `zenith keys create --role admin` to require keys"
        );
    }

    // Clients that never answer the HTTP/2 goaway would hold graceful shutdown open forever:
    // connections still open after SHUTDOWN_GRACE are dropped.
    let shutdown_engine = engine.clone();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight calls");
        shutdown_engine.stop_waiting();
    };
    listener::serve(tcp_listener, app, &transport, shutdown, SHUTDOWN_GRACE).await;
    stop.cancel();
    while background.join_next().await.is_some() {}
    database.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn readyz(State(readiness): State<Readiness>) -> (StatusCode, Json<serde_json::Value>) {
    let redis = readiness.engine.ping().await;
    let database = readiness.database.ping().await;
    let ready = redis.is_ok() && database.is_ok();
    let describe = |result: Result<(), String>| match result {
        Ok(()) => "ok".to_owned(),
        Err(error) => error,
    };
    let body = json!({
        "ready": ready,
        "redis": describe(redis.map_err(|e| e.to_string())),
        "database": describe(database.map_err(|e| e.to_string())),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

fn cors(origins: &[String]) -> anyhow::Result<CorsLayer> {
    let origins = origins
        .iter()
        .map(|origin| {
            if origin == "*" {
                anyhow::bail!("cors_origins: list origins explicitly; '*' is not allowed");
            }
            HeaderValue::from_str(origin)
                .with_context(|| format!("cors_origins: bad origin {origin}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([http::Method::POST, http::Method::OPTIONS])
        .allow_headers(tower_http::cors::Any)
        .expose_headers([
            http::header::HeaderName::from_static("grpc-status"),
            http::header::HeaderName::from_static("grpc-message"),
            http::header::HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(Duration::from_secs(24 * 3600)))
}

/// The CA bundle of `--redis-ca-cert`, read and checked once at start-up.
fn redis_root_certificates(config: &ServeConfig) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(path) = &config.redis_ca_cert else {
        return Ok(None);
    };
    listener::read_certificates(path, "--redis-ca-cert")?;
    Ok(Some(std::fs::read(path).with_context(|| {
        format!("--redis-ca-cert: cannot read {}", path.display())
    })?))
}

/// The URL without its password, for logs.
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate.recv() => {}
    }
}
