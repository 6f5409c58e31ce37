//! `zenith.v1.LogService`.

use std::pin::Pin;

use futures::Stream;
use tonic::{Request, Response, Status};
use zenith_proto::v1::log_service_server::LogService;
use zenith_proto::v1::*;

use crate::logs::SharedLogs;

pub struct LogApi {
    logs: SharedLogs,
}

impl LogApi {
    pub fn new(logs: SharedLogs) -> Self {
        Self { logs }
    }
}

type LogLines = Pin<Box<dyn Stream<Item = Result<TailLogsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl LogService for LogApi {
    async fn write_logs(
        &self,
        _request: Request<WriteLogsRequest>,
    ) -> Result<Response<WriteLogsResponse>, Status> {
        let _ = &self.logs;
        Err(Status::unimplemented("WriteLogs"))
    }

    type TailLogsStream = LogLines;

    async fn tail_logs(
        &self,
        _request: Request<TailLogsRequest>,
    ) -> Result<Response<Self::TailLogsStream>, Status> {
        Err(Status::unimplemented("TailLogs"))
    }

    async fn search_logs(
        &self,
        _request: Request<SearchLogsRequest>,
    ) -> Result<Response<SearchLogsResponse>, Status> {
        Err(Status::unimplemented("SearchLogs"))
    }
}
