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

use crate::api::{
    AdminApi, AlertApi, ArchiveApi, CronApi, LogApi, PulseApi, QueueApi, ServerInfo, WorkerApi,
};
use crate::auth::audit::Auditor;
use crate::auth::keys::ensure_bootstrap_key;
use crate::auth::store::AuthStore;
use crate::auth::{Auth, Keyring};
use crate::cluster::{self, Cluster, ClusterRouter, redacted};
use crate::config::ServeConfig;
use crate::console::{self, Console};
use crate::listener::{self, Deadlines, Transport};
use crate::{auth, managed_redis, metrics, telemetry};

const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What `/readyz` checks: every cluster's Redis and SQL.
#[derive(Clone)]
struct Readiness {
    clusters: Arc<[Cluster]>,
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    // Certificate files are checked before anything starts.
    let transport = Transport::from_config(&config)?;
    // Only the implicit `default` cluster may go without a Redis URL.
    let (first_redis_url, managed) = match &config.clusters[0].redis_url {
        Some(url) => (url.clone(), None),
        None => managed_redis::find_or_start(&config.data_dir).await?,
    };
    let result = serve_clusters(&config, &first_redis_url, transport).await;
    if let Some(managed) = managed {
        managed.stop().await;
    }
    result
}

async fn serve_clusters(
    config: &ServeConfig,
    first_redis_url: &str,
    transport: Transport,
) -> anyhow::Result<()> {
    let started_at_ms = crate::auth::middleware::now_ms();
    let stop = CancellationToken::new();
    let mut background = tokio::task::JoinSet::new();
    let mut clusters = Vec::with_capacity(config.clusters.len());
    let mut cluster_routes = Vec::with_capacity(config.clusters.len());
    for cluster_config in &config.clusters {
        let redis_url = cluster_config
            .redis_url
            .as_deref()
            .unwrap_or(first_redis_url);
        let (cluster, routes) =
            Cluster::start(config, cluster_config, redis_url, &mut background, &stop)
                .await
                .with_context(|| format!("cluster {}", cluster_config.name))?;
        cluster_routes.push((cluster.name.clone(), routes));
        clusters.push(cluster);
    }
    let clusters: Arc<[Cluster]> = clusters.into();
    // Identity is instance-wide: one keyring and audit log, in the default cluster's SQL.
    let database = clusters[0].database.clone();
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
    background.spawn(keyring.clone().run_refresh(stop.clone()));
    background.spawn(audit_writer.run(stop.clone()));

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

    // Instance-wide services answer here; every other call goes to its cluster's services.
    let max_message = config.max_message_bytes;
    let grpc = tonic::service::Routes::new(
        AdminServiceServer::new(AdminApi::new(
            keyring.clone(),
            ServerInfo {
                installation_id: installation.clone(),
                database: database.backend(),
                started_at_ms,
            },
            clusters.clone(),
        ))
        .max_decoding_message_size(max_message),
    )
    .add_service(health_service.max_decoding_message_size(max_message))
    .add_service(reflection_v1.max_decoding_message_size(max_message))
    .add_service(reflection_v1alpha.max_decoding_message_size(max_message));

    // One entry per cluster: the `cluster` label of its series.
    let collector = metrics::Collector::new(
        clusters
            .iter()
            .map(|cluster| metrics::Cluster {
                name: cluster.name.clone(),
                engine: cluster.engine.clone(),
                pulse: cluster.pulse.clone(),
            })
            .collect(),
    );
    let readiness = Readiness {
        clusters: clusters.clone(),
    };
    // grpc-web translation wraps only the gRPC routes: it refuses other HTTP/1.1 requests.
    let grpc = cluster::route_services(grpc.into_axum_router(), ClusterRouter::new(cluster_routes))
        .layer(axum::middleware::from_fn(
            listener::oversized_as_resource_exhausted,
        ))
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
        ));
    // Outside authorization, so refused calls are traced too.
    let grpc = if telemetry::enabled() {
        grpc.layer(axum::middleware::from_fn(telemetry::rpc_span))
    } else {
        grpc
    };
    let app = grpc
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
    for cluster in clusters.iter() {
        tracing::info!(
            cluster = %cluster.name,
            redis = %cluster.redis_address,
            database = cluster.database.backend(),
            "cluster ready"
        );
    }
    tracing::info!(
        listen = %config.listen,
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
    let shutdown_clusters = clusters.clone();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight calls");
        for cluster in shutdown_clusters.iter() {
            cluster.engine.stop_waiting();
        }
    };
    listener::serve(tcp_listener, app, &transport, shutdown, SHUTDOWN_GRACE).await;
    stop.cancel();
    while background.join_next().await.is_some() {}
    for cluster in clusters.iter() {
        cluster.database.close().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Ready when every cluster's Redis and SQL answer. The top-level `redis` and `database` are
/// the default cluster's; `clusters` has each by name.
async fn readyz(State(readiness): State<Readiness>) -> (StatusCode, Json<serde_json::Value>) {
    let describe = |result: Result<(), String>| match result {
        Ok(()) => "ok".to_owned(),
        Err(error) => error,
    };
    let mut ready = true;
    let mut clusters = serde_json::Map::new();
    for cluster in readiness.clusters.iter() {
        let redis = cluster.ping_redis().await;
        let database = cluster.database.ping().await.map_err(|e| e.to_string());
        ready &= redis.is_ok() && database.is_ok();
        clusters.insert(
            cluster.name.clone(),
            json!({ "redis": describe(redis), "database": describe(database) }),
        );
    }
    let default = clusters[&readiness.clusters[0].name].clone();
    let body = json!({
        "ready": ready,
        "redis": default["redis"],
        "database": default["database"],
        "clusters": clusters,
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

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate.recv() => {}
    }
}
