//! `zenith.v1.PulseService`.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use zenith_proto::v1::pulse_service_server::PulseService;
use zenith_proto::v1::*;

use super::page_token;
use crate::pulse::{NodeFilter, PulseError, SharedPulse};

/// ListNodes pages: 0 means this many nodes.
const DEFAULT_PAGE_SIZE: usize = 1000;
const MAX_PAGE_SIZE: usize = 10_000;

pub struct PulseApi {
    pulse: SharedPulse,
    stopping: CancellationToken,
}

impl PulseApi {
    pub fn new(pulse: SharedPulse, stopping: CancellationToken) -> Self {
        Self { pulse, stopping }
    }
}

type NodeChanges = Pin<Box<dyn Stream<Item = Result<WatchNodesResponse, Status>> + Send>>;

fn node_id(field: &str, value: &str) -> Result<(), Status> {
    if value.is_empty() {
        return Err(PulseError::invalid(field, "required").into());
    }
    if value.len() > 200 {
        return Err(PulseError::invalid(field, "at most 200 bytes").into());
    }
    Ok(())
}

/// One streamed message: the changes that passed the filter.
fn message(changes: Vec<NodeChange>, snapshot: bool) -> WatchNodesResponse {
    WatchNodesResponse { changes, snapshot }
}

/// Nodes per snapshot message: 10,000 full beats in one message would pass the 4 MiB that
/// gRPC clients accept by default.
const SNAPSHOT_CHUNK: usize = 500;

/// The snapshot in messages of at most `SNAPSHOT_CHUNK` nodes (one, possibly empty, at least).
fn snapshot_messages(snapshot: Vec<NodeChange>) -> Vec<Result<WatchNodesResponse, Status>> {
    if snapshot.is_empty() {
        return vec![Ok(message(Vec::new(), true))];
    }
    snapshot
        .chunks(SNAPSHOT_CHUNK)
        .map(|chunk| Ok(message(chunk.to_vec(), true)))
        .collect()
}

#[tonic::async_trait]
impl PulseService for PulseApi {
    async fn beat(&self, request: Request<BeatRequest>) -> Result<Response<BeatResponse>, Status> {
        let beat = request
            .into_inner()
            .beat
            .ok_or_else(|| PulseError::invalid("beat", "required"))?;
        Ok(Response::new(self.pulse.beat(beat).await?))
    }

    async fn list_nodes(
        &self,
        request: Request<ListNodesRequest>,
    ) -> Result<Response<ListNodesResponse>, Status> {
        let request = request.into_inner();
        let limit = match request.page_size {
            n if n < 0 => {
                return Err(PulseError::invalid("page_size", "must not be negative").into());
            }
            0 => DEFAULT_PAGE_SIZE,
            n => (n as usize).min(MAX_PAGE_SIZE),
        };
        let mut health = Vec::new();
        for value in &request.health {
            match NodeHealth::try_from(*value) {
                Ok(NodeHealth::Unspecified) | Err(_) => {
                    return Err(PulseError::invalid("health", "one of healthy, late, lost").into());
                }
                Ok(state) => health.push(state),
            }
        }
        let after = if request.page_token.is_empty() {
            None
        } else {
            let mut parts = page_token::decode(&request.page_token, 2)?;
            let id = parts.pop().expect("two parts");
            let service = parts.pop().expect("two parts");
            Some((service, id))
        };
        let filter = NodeFilter {
            service: request.service,
            language: request.language,
            health,
        };
        let page = self.pulse.list_nodes(&filter, after, limit);
        let mut services: Vec<ServiceNodes> = Vec::new();
        for node in page.nodes {
            let service = node
                .beat
                .as_ref()
                .and_then(|beat| beat.identity.as_ref())
                .map_or(String::new(), |identity| identity.service.clone());
            if services.last().is_none_or(|group| group.service != service) {
                services.push(ServiceNodes {
                    service,
                    ..Default::default()
                });
            }
            let group = services.last_mut().expect("pushed above");
            match node.health() {
                NodeHealth::Healthy => group.healthy += 1,
                NodeHealth::Late => group.late += 1,
                NodeHealth::Lost => group.lost += 1,
                NodeHealth::Unspecified => {}
            }
            group.nodes.push(node);
        }
        let next_page_token = page
            .next
            .map(|(service, id)| page_token::encode(&[&service, &id]))
            .unwrap_or_default();
        Ok(Response::new(ListNodesResponse {
            services,
            next_page_token,
            total_nodes: page.total as i32,
        }))
    }

    async fn get_node(
        &self,
        request: Request<GetNodeRequest>,
    ) -> Result<Response<GetNodeResponse>, Status> {
        let id = request.into_inner().node_id;
        node_id("node_id", &id)?;
        let node = self.pulse.get_node(&id)?;
        Ok(Response::new(GetNodeResponse { node: Some(node) }))
    }

    type WatchNodesStream = NodeChanges;

    async fn watch_nodes(
        &self,
        request: Request<WatchNodesRequest>,
    ) -> Result<Response<Self::WatchNodesStream>, Status> {
        let request = request.into_inner();
        let filter = NodeFilter {
            service: request.service,
            language: request.language,
            health: Vec::new(),
        };
        let (snapshot, changes) = self.pulse.watch(&filter);
        let first = futures::stream::iter(snapshot_messages(snapshot));
        let pulse = self.pulse.clone();
        let stopping = self.stopping.clone();
        let matches = move |change: &NodeChange| {
            let identity = change
                .node
                .as_ref()
                .and_then(|node| node.beat.as_ref())
                .and_then(|beat| beat.identity.as_ref());
            identity.is_some_and(|identity| {
                (filter.service.is_empty() || identity.service == filter.service)
                    && (filter.language.is_empty() || identity.language == filter.language)
            })
        };
        // Ends at shutdown or when the client goes away (tonic drops the stream).
        let rest = futures::stream::unfold(
            (changes, pulse, stopping),
            move |(mut changes, pulse, stopping)| {
                let matches = matches.clone();
                async move {
                    loop {
                        let received = tokio::select! {
                            _ = stopping.cancelled() => return None,
                            received = changes.recv() => received,
                        };
                        match received {
                            Ok(change) if matches(&change) => {
                                return Some((
                                    vec![Ok(message(vec![change], false))],
                                    (changes, pulse, stopping),
                                ));
                            }
                            Ok(_) => {}
                            // Too slow to follow every change: start over from a snapshot.
                            Err(RecvError::Lagged(_)) => {
                                let (snapshot, fresh) = pulse.watch(&NodeFilter::default());
                                let snapshot: Vec<_> =
                                    snapshot.into_iter().filter(|c| matches(c)).collect();
                                return Some((
                                    snapshot_messages(snapshot),
                                    (fresh, pulse, stopping),
                                ));
                            }
                            Err(RecvError::Closed) => return None,
                        }
                    }
                }
            },
        );
        let rest = rest.flat_map(futures::stream::iter);
        Ok(Response::new(Box::pin(first.chain(rest))))
    }

    async fn get_node_metrics(
        &self,
        request: Request<GetNodeMetricsRequest>,
    ) -> Result<Response<GetNodeMetricsResponse>, Status> {
        let id = request.into_inner().node_id;
        node_id("node_id", &id)?;
        let points = self.pulse.node_metrics(&id).await?;
        Ok(Response::new(GetNodeMetricsResponse { points }))
    }

    async fn quiet_node(
        &self,
        request: Request<QuietNodeRequest>,
    ) -> Result<Response<QuietNodeResponse>, Status> {
        let request = request.into_inner();
        node_id("node_id", &request.node_id)?;
        let node = self
            .pulse
            .quiet_node(&request.node_id, request.quiet)
            .await?;
        Ok(Response::new(QuietNodeResponse { node: Some(node) }))
    }
}
