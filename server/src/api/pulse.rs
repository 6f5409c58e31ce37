//! `zenith.v1.PulseService`.

use std::pin::Pin;

use futures::Stream;
use tonic::{Request, Response, Status};
use zenith_proto::v1::pulse_service_server::PulseService;
use zenith_proto::v1::*;

use crate::pulse::SharedPulse;

pub struct PulseApi {
    pulse: SharedPulse,
}

impl PulseApi {
    pub fn new(pulse: SharedPulse) -> Self {
        Self { pulse }
    }
}

type NodeChanges = Pin<Box<dyn Stream<Item = Result<WatchNodesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl PulseService for PulseApi {
    async fn beat(&self, _request: Request<BeatRequest>) -> Result<Response<BeatResponse>, Status> {
        let _ = &self.pulse;
        Err(Status::unimplemented("Beat"))
    }

    async fn list_nodes(
        &self,
        _request: Request<ListNodesRequest>,
    ) -> Result<Response<ListNodesResponse>, Status> {
        Err(Status::unimplemented("ListNodes"))
    }

    async fn get_node(
        &self,
        _request: Request<GetNodeRequest>,
    ) -> Result<Response<GetNodeResponse>, Status> {
        Err(Status::unimplemented("GetNode"))
    }

    type WatchNodesStream = NodeChanges;

    async fn watch_nodes(
        &self,
        _request: Request<WatchNodesRequest>,
    ) -> Result<Response<Self::WatchNodesStream>, Status> {
        Err(Status::unimplemented("WatchNodes"))
    }

    async fn get_node_metrics(
        &self,
        _request: Request<GetNodeMetricsRequest>,
    ) -> Result<Response<GetNodeMetricsResponse>, Status> {
        Err(Status::unimplemented("GetNodeMetrics"))
    }

    async fn quiet_node(
        &self,
        _request: Request<QuietNodeRequest>,
    ) -> Result<Response<QuietNodeResponse>, Status> {
        Err(Status::unimplemented("QuietNode"))
    }
}
