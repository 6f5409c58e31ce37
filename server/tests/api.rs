//! Validation, paging, listing and transport through a real server.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Harness, error_reason, spec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use zenith_proto::v1::*;

async fn enqueue_error(h: &mut Harness, job: JobSpec) -> tonic::Status {
    h.queues
        .enqueue(EnqueueRequest { job: Some(job) })
        .await
        .unwrap_err()
}

fn field(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("field").cloned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_jobs_are_refused_naming_the_field_and_nothing_is_written() {
    let mut h = Harness::start_with(&["--max-payload-bytes", "1024"]).await;
    let cases: Vec<(JobSpec, Code, &str)> = vec![
        (spec("", "t"), Code::InvalidArgument, "job.queue"),
        (spec("bad queue", "t"), Code::InvalidArgument, "job.queue"),
        (spec("emails{x}", "t"), Code::InvalidArgument, "job.queue"),
        (
            spec(&"q".repeat(129), "t"),
            Code::InvalidArgument,
            "job.queue",
        ),
        (spec("emails", ""), Code::InvalidArgument, "job.type"),
        (
            JobSpec {
                payload: vec![b'x'; 1025],
                ..spec("emails", "t")
            },
            Code::ResourceExhausted,
            "job.payload",
        ),
        (
            JobSpec {
                priority: 1001,
                ..spec("emails", "t")
            },
            Code::InvalidArgument,
            "job.priority",
        ),
        (
            JobSpec {
                max_attempts: -1,
                ..spec("emails", "t")
            },
            Code::InvalidArgument,
            "job.max_attempts",
        ),
        (
            JobSpec {
                id: "a/b".into(),
                ..spec("emails", "t")
            },
            Code::InvalidArgument,
            "job.id",
        ),
        (
            JobSpec {
                delay: Some(common::duration(Duration::from_secs(1))),
                run_at: Some(prost_types::Timestamp {
                    seconds: 1,
                    nanos: 0,
                }),
                ..spec("emails", "t")
            },
            Code::InvalidArgument,
            "job.run_at",
        ),
        (
            JobSpec {
                delay: Some(prost_types::Duration {
                    seconds: -5,
                    nanos: 0,
                }),
                ..spec("emails", "t")
            },
            Code::InvalidArgument,
            "job.delay",
        ),
    ];
    for (job, code, expected_field) in cases {
        let status = enqueue_error(&mut h, job).await;
        assert_eq!(
            status.code(),
            code,
            "{expected_field}: {}",
            status.message()
        );
        assert_eq!(field(&status), expected_field, "{}", status.message());
        assert!(
            status.message().starts_with(expected_field),
            "{}",
            status.message()
        );
    }
    let missing = h
        .queues
        .enqueue(EnqueueRequest { job: None })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
    let listed = h
        .queues
        .list_queues(ListQueuesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed.queues.is_empty(),
        "nothing may be written: {listed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_one_bad_job_is_refused_whole() {
    let mut h = Harness::start().await;
    let mut jobs: Vec<JobSpec> = (0..5).map(|_| spec("emails", "send")).collect();
    jobs[3].queue = "no spaces allowed".into();
    let status = h
        .queues
        .batch_enqueue(BatchEnqueueRequest { jobs })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field(&status), "jobs[3].queue");
    let listed = h
        .queues
        .list_queues(ListQueuesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.queues.is_empty());

    let too_many = (0..1001).map(|_| spec("emails", "send")).collect();
    let status = h
        .queues
        .batch_enqueue(BatchEnqueueRequest { jobs: too_many })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_across_queues_lands_whole_with_duplicates_marked() {
    let mut h = Harness::start().await;
    let mut jobs: Vec<JobSpec> = (0..6)
        .map(|i| spec(["a", "b", "c"][i % 3], "send"))
        .collect();
    jobs[4].id = "fixed".into();
    jobs[5].id = "fixed".into();
    jobs[5].queue = jobs[4].queue.clone();
    let response = h
        .queues
        .batch_enqueue(BatchEnqueueRequest { jobs })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.jobs.len(), 6);
    let duplicates: Vec<bool> = response.jobs.iter().map(|j| j.duplicate).collect();
    assert_eq!(duplicates, [false, false, false, false, false, true]);
    assert_eq!(response.jobs[5].id, "fixed");
    let queues = h
        .queues
        .list_queues(ListQueuesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .queues;
    let pending: Vec<(String, i64)> = queues
        .iter()
        .map(|q| (q.name.clone(), q.counts.unwrap().pending))
        .collect();
    assert_eq!(pending, [("a".into(), 2), ("b".into(), 2), ("c".into(), 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_jobs_pages_through_every_job_once_in_both_orders() {
    let mut h = Harness::start().await;
    let jobs: Vec<JobSpec> = (0..120).map(|_| spec("bulk", "x")).collect();
    let ids: Vec<String> = h
        .queues
        .batch_enqueue(BatchEnqueueRequest { jobs })
        .await
        .unwrap()
        .into_inner()
        .jobs
        .into_iter()
        .map(|j| j.id)
        .collect();
    for order in [ListOrder::OldestFirst, ListOrder::NewestFirst] {
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = h
                .queues
                .list_jobs(ListJobsRequest {
                    queue: "bulk".into(),
                    state: JobState::Pending as i32,
                    page_size: 50,
                    page_token: token.clone(),
                    order: order as i32,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            pages += 1;
            seen.extend(page.jobs.into_iter().map(|j| j.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(pages, 3);
        let mut expected = ids.clone();
        if order == ListOrder::NewestFirst {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{order:?}");
    }

    let status = h
        .queues
        .list_jobs(ListJobsRequest {
            queue: "bulk".into(),
            state: JobState::Pending as i32,
            page_token: "not-a-token".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field(&status), "page_token");
    let status = h
        .queues
        .list_jobs(ListJobsRequest {
            queue: "bulk".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field(&status), "state");
    let status = h
        .queues
        .list_jobs(ListJobsRequest {
            queue: "missing".into(),
            state: JobState::Dead as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_queues_pages_by_name_and_reports_the_oldest_pending_age() {
    let mut h = Harness::start().await;
    let jobs: Vec<JobSpec> = (0..25).map(|i| spec(&format!("q{i:02}"), "x")).collect();
    h.queues
        .batch_enqueue(BatchEnqueueRequest { jobs })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = h
            .queues
            .list_queues(ListQueuesRequest {
                page_size: 10,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for queue in &page.queues {
            assert_eq!(queue.counts.unwrap().pending, 1);
            let age = queue.oldest_pending_age.unwrap();
            assert!(age.seconds >= 1 && age.seconds < 30, "{age:?}");
        }
        names.extend(page.queues.into_iter().map(|q| q.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<String> = (0..25).map(|i| format!("q{i:02}")).collect();
    assert_eq!(names, expected);
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_jobs_and_queues_are_not_found() {
    let mut h = Harness::start().await;
    let status = h
        .queues
        .get_job(GetJobRequest {
            id: "nope".into(),
            queue: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(error_reason(&status), "JOB_NOT_FOUND");
    let status = h
        .queues
        .get_queue(GetQueueRequest {
            name: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_requests_are_validated() {
    let mut h = Harness::start().await;
    let cases = [
        ReserveRequest::default(),
        ReserveRequest {
            queues: vec!["ok".into()],
            max_jobs: 1001,
            ..Default::default()
        },
        ReserveRequest {
            queues: vec!["ok".into()],
            wait: Some(common::duration(Duration::from_secs(61))),
            ..Default::default()
        },
        ReserveRequest {
            queues: vec!["ok".into()],
            lease: Some(common::duration(Duration::from_millis(10))),
            ..Default::default()
        },
    ];
    for request in cases {
        let status = h.workers.reserve(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    }
    let status = h.workers.ack(AckRequest::default()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = h
        .workers
        .ack(AckRequest {
            acks: vec![JobAck {
                queue: "q".into(),
                job_id: "j".into(),
                lease_token: String::new(),
                result: Vec::new(),
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(field(&status), "acks[0].lease_token");
}

/// One HTTP/1.1 request on a fresh connection; returns the raw response.
async fn http1(port: u16, request: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_reach_the_api_over_grpc_web_from_allowed_origins_only() {
    let h = Harness::start_with(&["--cors-origins", "http://console.local"]).await;
    let port = h.server.port();
    // An empty ListQueuesRequest framed for grpc-web: flag 0, length 0.
    let mut request = b"POST /zenith.v1.QueueService/ListQueues HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\n\
         origin: http://console.local\r\ncontent-length: 5\r\nconnection: close\r\n\r\n"
        .to_vec();
    request.extend_from_slice(&[0, 0, 0, 0, 0]);
    let response = String::from_utf8_lossy(&http1(port, &request).await).to_lowercase();
    assert!(response.starts_with("http/1.1 200"), "{response}");
    assert!(response.contains("application/grpc-web"), "{response}");
    assert!(response.contains("grpc-status:0"), "{response}");
    assert!(response.contains("access-control-allow-origin: http://console.local"));

    let preflight = |origin: &str| {
        format!(
            "OPTIONS /zenith.v1.QueueService/ListQueues HTTP/1.1\r\nhost: 127.0.0.1\r\n\
             origin: {origin}\r\naccess-control-request-method: POST\r\n\
             access-control-request-headers: content-type,x-grpc-web\r\nconnection: close\r\n\r\n"
        )
    };
    let allowed =
        String::from_utf8_lossy(&http1(port, preflight("http://console.local").as_bytes()).await)
            .to_lowercase();
    assert!(
        allowed.contains("access-control-allow-origin: http://console.local"),
        "{allowed}"
    );
    let denied =
        String::from_utf8_lossy(&http1(port, preflight("http://evil.example").as_bytes()).await)
            .to_lowercase();
    assert!(!denied.contains("access-control-allow-origin"), "{denied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer_over_plain_http() {
    let h = Harness::start().await;
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let health = String::from_utf8_lossy(&http1(h.server.port(), get("/healthz").as_bytes()).await)
        .into_owned();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let ready = String::from_utf8_lossy(&http1(h.server.port(), get("/readyz").as_bytes()).await)
        .into_owned();
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(ready.contains(r#""ready":true"#), "{ready}");
}
