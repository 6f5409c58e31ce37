//! A real Redis and a real `zenith serve` process per test, and gRPC clients to it.

#![allow(dead_code)]

use std::time::Duration;

use tonic::transport::Channel;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;
use zenith_testkit::{RedisServer, ZenithServer};

// Fields drop in order: clients, then the server, then Redis under it.
pub struct Harness {
    pub queues: QueueServiceClient<Channel>,
    pub workers: WorkerServiceClient<Channel>,
    pub server: ZenithServer,
    pub redis: RedisServer,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub async fn start_with(args: &[&str]) -> Self {
        let redis = RedisServer::start().expect("start redis");
        let server =
            ZenithServer::start_with(env!("CARGO_BIN_EXE_zenith").as_ref(), &redis.url(), args)
                .expect("start zenith");
        let channel = Channel::from_shared(server.url())
            .unwrap()
            .connect()
            .await
            .expect("connect to zenith");
        Self {
            queues: QueueServiceClient::new(channel.clone()),
            workers: WorkerServiceClient::new(channel),
            redis,
            server,
        }
    }

    pub async fn enqueue(&mut self, spec: JobSpec) -> EnqueueResponse {
        self.queues
            .enqueue(EnqueueRequest { job: Some(spec) })
            .await
            .expect("enqueue")
            .into_inner()
    }

    pub async fn reserve(
        &mut self,
        queue: &str,
        max_jobs: i32,
        lease: Duration,
    ) -> Vec<ReservedJob> {
        self.workers
            .reserve(ReserveRequest {
                queues: vec![queue.into()],
                max_jobs,
                lease: Some(duration(lease)),
                ..Default::default()
            })
            .await
            .expect("reserve")
            .into_inner()
            .jobs
    }

    pub async fn job(&mut self, id: &str) -> Job {
        self.queues
            .get_job(GetJobRequest {
                id: id.into(),
                ..Default::default()
            })
            .await
            .expect("get job")
            .into_inner()
            .job
            .expect("job")
    }

    pub async fn ack(&mut self, reserved: &ReservedJob) -> Result<AckResponse, tonic::Status> {
        let job = reserved.job.as_ref().unwrap();
        self.workers
            .ack(AckRequest {
                acks: vec![JobAck {
                    queue: job.queue.clone(),
                    job_id: job.id.clone(),
                    lease_token: reserved.lease_token.clone(),
                    result: Vec::new(),
                }],
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn fail(
        &mut self,
        reserved: &ReservedJob,
        error: &str,
        retryable: bool,
    ) -> Result<FailResponse, tonic::Status> {
        let job = reserved.job.as_ref().unwrap();
        self.workers
            .fail(FailRequest {
                queue: job.queue.clone(),
                job_id: job.id.clone(),
                lease_token: reserved.lease_token.clone(),
                error: error.into(),
                stack_trace: "at handler (worker.rs:1)".into(),
                retryable: Some(retryable),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn queue(&mut self, name: &str) -> Queue {
        self.queues
            .get_queue(GetQueueRequest { name: name.into() })
            .await
            .expect("get queue")
            .into_inner()
            .queue
            .unwrap()
    }

    /// Polls until the job reaches `state`, for transitions the maintenance loop makes.
    pub async fn wait_for_state(&mut self, id: &str, state: JobState) -> Job {
        for _ in 0..200 {
            let job = self.job(id).await;
            if job.state() == state {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {id} never reached {state:?}");
    }

    /// A job's events as the archive has them, once the archiver has caught up with `queue`.
    pub async fn archived_events(&mut self, queue: &str, id: &str) -> Vec<JobEvent> {
        let mut conn = self.redis.connection().await.unwrap();
        let stream = format!("zenith:{{{queue}}}:events");
        for _ in 0..200 {
            let waiting: i64 = redis::cmd("XLEN")
                .arg(&stream)
                .query_async(&mut conn)
                .await
                .unwrap();
            if waiting == 0 {
                let database = zenith_server::db::Database::connect(self.server.database_url())
                    .await
                    .expect("open database");
                return zenith_server::archive::store::open(&database)
                    .job_events(id, None, 1000)
                    .await
                    .expect("job events")
                    .into_iter()
                    .map(|(_, event)| event)
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("events of {queue} never archived");
    }
}

pub fn spec(queue: &str, job_type: &str) -> JobSpec {
    JobSpec {
        queue: queue.into(),
        r#type: job_type.into(),
        payload: br#"{"to":"a@example.com"}"#.to_vec(),
        content_type: "application/json".into(),
        ..Default::default()
    }
}

pub fn duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

pub fn error_reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// The raw HTTP/1.1 answer of `GET /readyz`: status line, headers and JSON body.
pub async fn readyz(port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}
