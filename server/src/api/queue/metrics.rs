//! Per-minute queue metrics for charts, and the live watch of every queue.

use zenith_proto::v1::*;

use super::QueueApi;
use crate::queue::QueueError;

impl QueueApi {
    pub(super) async fn get_queue_metrics_rpc(
        &self,
        request: GetQueueMetricsRequest,
    ) -> Result<GetQueueMetricsResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("GetQueueMetrics"))
    }
}

pub type WatchQueuesStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<WatchQueuesResponse, tonic::Status>> + Send>,
>;

impl QueueApi {
    pub(super) fn watch_queues_rpc(
        &self,
        request: WatchQueuesRequest,
    ) -> Result<WatchQueuesStream, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("WatchQueues"))
    }
}
