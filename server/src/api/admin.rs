//! `zenith.v1.AdminService`: identity, API keys, the audit log, server info. Who may call what
//! is decided before these run (`auth::middleware`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use zenith_proto::v1::admin_service_server::AdminService;
use zenith_proto::v1::*;

use super::{page_token, validate};
use crate::auth::store::{AuditQuery, AuditRecord};
use crate::auth::{AuthError, Keyring, Principal, keys::NewKey, middleware::now_ms, principal};
use crate::cluster::Cluster;
use crate::queue::{timestamp_from_ms, timestamp_to_ms};

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// What the server says about itself.
#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub installation_id: String,
    pub database: &'static str,
    pub started_at_ms: i64,
}

pub struct AdminApi {
    keyring: Arc<Keyring>,
    info: ServerInfo,
    /// The default first.
    clusters: Arc<[Cluster]>,
}

impl AdminApi {
    pub fn new(keyring: Arc<Keyring>, info: ServerInfo, clusters: Arc<[Cluster]>) -> Self {
        Self {
            keyring,
            info,
            clusters,
        }
    }
}

fn caller<T>(request: &Request<T>) -> Principal {
    principal(request)
        .cloned()
        .unwrap_or_else(|| Principal::open(request.remote_addr().map(|addr| addr.ip())))
}

fn page_size(value: i32) -> Result<usize, AuthError> {
    match value {
        n if n < 0 => Err(AuthError::invalid("page_size", "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as usize).min(MAX_PAGE_SIZE)),
    }
}

fn audit_event(record: AuditRecord) -> AuditEvent {
    AuditEvent {
        id: record.id,
        time: Some(timestamp_from_ms(record.at_ms)),
        principal: record.principal,
        key_name: record.key_name,
        role: record.role,
        rpc: record.rpc,
        target: record.target,
        request: record.request,
        code: record.code,
        message: record.message,
        peer: record.peer,
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn who_am_i(
        &self,
        request: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = caller(&request);
        Ok(Response::new(WhoAmIResponse {
            key: caller.key.as_ref().map(|key| key.to_proto()),
            role: caller.role as i32,
            open: caller.key.is_none(),
            principal: caller.name(),
        }))
    }

    async fn create_api_key(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        let created_by = caller(&request).name();
        let request = request.into_inner();
        let ttl = validate::duration("ttl", request.ttl.as_ref())?;
        let new_key = NewKey {
            name: request.name,
            role: Role::try_from(request.role).unwrap_or(Role::Unspecified),
            queues: request.queues,
            queue_prefix: request.queue_prefix,
            payloads: request.payloads,
            requests_per_second: request.requests_per_second,
            ttl,
        };
        let (key, token) = new_key
            .create(
                Some(&self.keyring),
                self.keyring.store(),
                &created_by,
                now_ms(),
            )
            .await?;
        tracing::info!(key_id = key.id, role = ?key.role, created_by, "api key created");
        Ok(Response::new(CreateApiKeyResponse {
            key: Some(key.to_proto()),
            token: token.reveal(),
        }))
    }

    async fn list_api_keys(
        &self,
        request: Request<ListApiKeysRequest>,
    ) -> Result<Response<ListApiKeysResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let after = if request.page_token.is_empty() {
            String::new()
        } else {
            page_token::decode(&request.page_token, 1)?.remove(0)
        };
        let mut keys: Vec<_> = self
            .keyring
            .store()
            .all_keys()
            .await?
            .into_iter()
            .filter(|key| {
                key.id > after && (request.include_revoked || key.revoked_at_ms.is_none())
            })
            .collect();
        let next_page_token = if keys.len() > limit {
            keys.truncate(limit);
            page_token::encode(&[&keys[limit - 1].id])
        } else {
            String::new()
        };
        Ok(Response::new(ListApiKeysResponse {
            keys: keys.iter().map(|key| key.to_proto()).collect(),
            next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<RevokeApiKeyRequest>,
    ) -> Result<Response<RevokeApiKeyResponse>, Status> {
        let revoked_by = caller(&request).name();
        let id = request.into_inner().id;
        validate::label("id", &id, 32, true)?;
        let key = self
            .keyring
            .store()
            .revoke_key(&id, now_ms())
            .await?
            .ok_or_else(|| AuthError::KeyNotFound(id.clone()))?;
        self.keyring.remember(key.clone());
        tracing::info!(key_id = id, revoked_by, "api key revoked");
        Ok(Response::new(RevokeApiKeyResponse {
            key: Some(key.to_proto()),
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<ListAuditEventsRequest>,
    ) -> Result<Response<ListAuditEventsResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let before_id = if request.page_token.is_empty() {
            None
        } else {
            let part = page_token::decode(&request.page_token, 1)?.remove(0);
            Some(part.parse::<i64>().map_err(|_| {
                AuthError::invalid("page_token", "not a token from a previous response")
            })?)
        };
        for (field, value) in [
            ("principal", &request.principal),
            ("rpc", &request.rpc),
            ("target", &request.target),
        ] {
            validate::label(field, value, 256, false)?;
        }
        let query = AuditQuery {
            principal: request.principal,
            rpc: request.rpc,
            target: request.target,
            failures_only: request.failures_only,
            since_ms: request.since.as_ref().map(timestamp_to_ms),
            until_ms: request.until.as_ref().map(timestamp_to_ms),
            before_id,
            limit: limit as i64 + 1,
        };
        let mut records = self.keyring.store().list_audit(&query).await?;
        let next_page_token = if records.len() > limit {
            records.truncate(limit);
            page_token::encode(&[&records[limit - 1].id.to_string()])
        } else {
            String::new()
        };
        Ok(Response::new(ListAuditEventsResponse {
            events: records.into_iter().map(audit_event).collect(),
            next_page_token,
        }))
    }

    async fn get_server_info(
        &self,
        _request: Request<GetServerInfoRequest>,
    ) -> Result<Response<GetServerInfoResponse>, Status> {
        Ok(Response::new(GetServerInfoResponse {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            installation_id: self.info.installation_id.clone(),
            database: self.info.database.to_owned(),
            started_at: Some(timestamp_from_ms(self.info.started_at_ms)),
            open: self.keyring.is_open(),
        }))
    }

    async fn list_clusters(
        &self,
        _request: Request<ListClustersRequest>,
    ) -> Result<Response<ListClustersResponse>, Status> {
        // Pinged side by side: one unreachable Redis costs one timeout, not one per cluster.
        let pings = futures::future::join_all(self.clusters.iter().map(Cluster::ping_redis)).await;
        let clusters = self
            .clusters
            .iter()
            .zip(pings)
            .enumerate()
            .map(|(index, (cluster, ping))| zenith_proto::v1::Cluster {
                name: cluster.name.clone(),
                default: index == 0,
                redis_address: cluster.redis_address.clone(),
                database: cluster.database.backend().to_owned(),
                reachable: ping.is_ok(),
            })
            .collect();
        Ok(Response::new(ListClustersResponse { clusters }))
    }
}
