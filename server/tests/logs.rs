//! Logs end to end through a real Redis and a real `zenith serve` process: written over gRPC
//! and straight into Redis, followed live, archived to SQL and searched.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{Harness, duration, spec};
use futures::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Streaming};
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::log_service_client::LogServiceClient;
use zenith_proto::v1::*;

async fn log_client(harness: &Harness) -> LogServiceClient<Channel> {
    LogServiceClient::connect(harness.server.url())
        .await
        .unwrap()
}

fn line(message: &str) -> LogRecord {
    LogRecord {
        message: message.into(),
        service: "billing".into(),
        node_id: "node-1".into(),
        ..LogRecord::default()
    }
}

/// Appends a line the way a Redis-native writer does.
async fn xadd(harness: &Harness, json: &str) -> String {
    let mut conn = harness.redis.connection().await.unwrap();
    redis::cmd("XADD")
        .arg("zenith:logs")
        .arg("*")
        .arg("record")
        .arg(json)
        .query_async(&mut conn)
        .await
        .unwrap()
}

/// Every archived line matching the request, once it holds at least `count` lines.
async fn search_until(
    logs: &mut LogServiceClient<Channel>,
    request: SearchLogsRequest,
    count: usize,
) -> Vec<LogRecord> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = logs
            .search_logs(request.clone())
            .await
            .unwrap()
            .into_inner();
        if found.records.len() >= count || Instant::now() > deadline {
            return found.records;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn query(text: &str) -> SearchLogsRequest {
    SearchLogsRequest {
        query: text.into(),
        page_size: 1_000,
        ..SearchLogsRequest::default()
    }
}

/// Lines from the tail until `count` arrived.
async fn collect(tail: &mut Streaming<TailLogsResponse>, count: usize) -> Vec<LogRecord> {
    let mut lines = Vec::new();
    while lines.len() < count {
        let response = tokio::time::timeout(Duration::from_secs(20), tail.next())
            .await
            .expect("tail delivered in time")
            .expect("tail still open")
            .unwrap();
        assert_eq!(response.skipped, 0);
        lines.extend(response.records);
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_follows_three_writers_in_order_per_writer() {
    let harness = Harness::start().await;
    let mut logs = log_client(&harness).await;
    let mut tail = logs
        .tail_logs(TailLogsRequest {
            filter: Some(LogFilter {
                service: "billing".into(),
                ..LogFilter::default()
            }),
            ..TailLogsRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let writer_client = logs.clone();
    let grpc_writer = |name: &'static str| {
        let mut logs = writer_client.clone();
        async move {
            for batch in 0..20 {
                let records = (0..5)
                    .map(|i| line(&format!("{name} {}", batch * 5 + i)))
                    .collect();
                logs.write_logs(WriteLogsRequest { records }).await.unwrap();
            }
        }
    };
    let native_writer = async {
        for n in 0..100 {
            xadd(
                &harness,
                &format!(r#"{{"message":"native {n}","service":"billing"}}"#),
            )
            .await;
        }
    };
    // Lines of another service stay out of this tail.
    logs.write_logs(WriteLogsRequest {
        records: vec![LogRecord {
            service: "other".into(),
            ..line("elsewhere")
        }],
    })
    .await
    .unwrap();
    tokio::join!(grpc_writer("first"), grpc_writer("second"), native_writer);
    let lines = collect(&mut tail, 300).await;
    assert_eq!(lines.len(), 300);
    let mut by_writer: HashMap<String, Vec<u32>> = HashMap::new();
    let mut last_id = (0u64, 0u64);
    for line in &lines {
        let (writer, n) = line.message.split_once(' ').unwrap();
        by_writer
            .entry(writer.to_owned())
            .or_default()
            .push(n.parse().unwrap());
        let (ms, seq) = line.id.split_once('-').unwrap();
        let id = (ms.parse().unwrap(), seq.parse().unwrap());
        assert!(id > last_id, "arrival order");
        last_id = id;
        assert_eq!(
            line.time, line.received_at,
            "unset time is the arrival time"
        );
    }
    for writer in ["first", "second", "native"] {
        assert_eq!(by_writer[writer], (0..100).collect::<Vec<_>>(), "{writer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_are_archived_searched_and_shown_with_their_job() {
    let mut harness = Harness::start().await;
    let mut logs = log_client(&harness).await;
    let job = harness
        .enqueue(spec("emails", "send"))
        .await
        .job
        .unwrap()
        .id;
    let mut failed = LogRecord {
        queue: "emails".into(),
        job_id: job.clone(),
        ..line("SMTP connection refused by mx.example.com")
    };
    failed.set_level(LogLevel::Error);
    let long = "x".repeat(100 * 1024);
    let written = logs
        .write_logs(WriteLogsRequest {
            records: vec![
                LogRecord {
                    queue: "emails".into(),
                    job_id: job.clone(),
                    time: Some(prost_types::Timestamp {
                        seconds: 1_700_000_000,
                        nanos: 0,
                    }),
                    ..line("sending to ann")
                },
                failed,
                line(&format!("huge {long}")),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((written.written, written.truncated), (3, 1));
    xadd(
        &harness,
        r#"{"message":"native refused line","level":"LOG_LEVEL_WARN"}"#,
    )
    .await;
    let malformed = xadd(&harness, "{not json").await;

    let all = search_until(&mut logs, query(""), 5).await;
    assert_eq!(all.len(), 5);
    let huge = all.iter().find(|l| l.message.starts_with("huge")).unwrap();
    assert!(huge.message.len() <= 64 * 1024);
    let cut = "huge ".len() + long.len() - huge.message.find('…').unwrap();
    assert!(
        huge.message
            .ends_with(&format!("… [truncated {cut} bytes]"))
    );
    let bad = all.iter().find(|l| l.id == malformed).unwrap();
    assert_eq!(bad.message, "{not json");
    assert_eq!(bad.level(), LogLevel::Warn);
    assert_eq!(bad.fields["malformed"], "true");

    let ids =
        |lines: Vec<LogRecord>| -> Vec<String> { lines.into_iter().map(|l| l.message).collect() };
    let refused = ids(search_until(&mut logs, query("REFUSED"), 2).await);
    assert_eq!(
        refused,
        [
            "native refused line",
            "SMTP connection refused by mx.example.com"
        ]
    );
    assert_eq!(
        ids(search_until(&mut logs, query(r#""connection refused""#), 1).await),
        ["SMTP connection refused by mx.example.com"]
    );
    assert!(ids(search_until(&mut logs, query(r#""refused connection""#), 0).await).is_empty());
    let errors = SearchLogsRequest {
        filter: Some(LogFilter {
            min_level: LogLevel::Error as i32,
            ..LogFilter::default()
        }),
        ..query("refused")
    };
    assert_eq!(
        ids(search_until(&mut logs, errors, 1).await),
        ["SMTP connection refused by mx.example.com"]
    );
    let of_job = SearchLogsRequest {
        filter: Some(LogFilter {
            job_id: job.clone(),
            ..LogFilter::default()
        }),
        oldest_first: true,
        ..query("")
    };
    assert_eq!(
        ids(search_until(&mut logs, of_job, 2).await)[0],
        "sending to ann"
    );
    // Paging: one line a page, newest first, every line once.
    let mut request = SearchLogsRequest {
        page_size: 1,
        ..query("")
    };
    let mut paged = Vec::new();
    loop {
        let page = logs
            .search_logs(request.clone())
            .await
            .unwrap()
            .into_inner();
        paged.extend(page.records.into_iter().map(|l| l.id));
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    assert_eq!(paged, all.iter().map(|l| l.id.clone()).collect::<Vec<_>>());

    let shown = harness
        .queues
        .get_job(GetJobRequest {
            id: job.clone(),
            include_logs: true,
            ..GetJobRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        ids(shown.logs),
        [
            "sending to ann",
            "SMTP connection refused by mx.example.com"
        ]
    );
    assert!(!shown.logs_truncated);
    let mut archive = ArchiveServiceClient::connect(harness.server.url())
        .await
        .unwrap();
    let history = archive
        .get_job_history(GetJobHistoryRequest {
            id: job.clone(),
            ..GetJobHistoryRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.logs.len(), 2);
    assert_eq!(history.logs[0].message, "sending to ann");
    let without = harness
        .queues
        .get_job(GetJobRequest {
            id: job,
            ..GetJobRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(without.logs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_naming_the_field() {
    let harness = Harness::start().await;
    let mut logs = log_client(&harness).await;
    let refused = |status: tonic::Status, field: &str| {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(field), "{field}: {status:?}");
    };
    let writer_client = logs.clone();
    let write = |records: Vec<LogRecord>| {
        let mut logs = writer_client.clone();
        async move {
            logs.write_logs(WriteLogsRequest { records })
                .await
                .unwrap_err()
        }
    };
    refused(write(Vec::new()).await, "records");
    refused(write(vec![line("ok"); 1_001]).await, "records");
    refused(
        write(vec![
            line("ok"),
            LogRecord {
                level: 99,
                ..line("x")
            },
        ])
        .await,
        "records[1].level",
    );
    refused(
        write(vec![LogRecord {
            queue: "bad queue".into(),
            ..line("x")
        }])
        .await,
        "records[0].queue",
    );
    refused(
        write(vec![LogRecord {
            // After year 9999: no proto3 JSON rendering exists for it.
            time: Some(prost_types::Timestamp {
                seconds: 900_000_000_000,
                nanos: 0,
            }),
            ..line("x")
        }])
        .await,
        "records[0]",
    );
    let fields = (0..65).map(|n| (n.to_string(), "v".to_owned())).collect();
    refused(
        write(vec![LogRecord {
            fields,
            ..line("x")
        }])
        .await,
        "records[0].fields",
    );
    let big_field = [("k".to_owned(), "v".repeat(4097))].into();
    refused(
        write(vec![LogRecord {
            fields: big_field,
            ..line("x")
        }])
        .await,
        "records[0].fields",
    );
    refused(
        write(vec![LogRecord {
            service: "s".repeat(300),
            ..line("x")
        }])
        .await,
        "records[0].service",
    );
    refused(
        logs.search_logs(SearchLogsRequest {
            page_size: -1,
            ..query("")
        })
        .await
        .unwrap_err(),
        "page_size",
    );
    refused(
        logs.search_logs(query(r#"open "quote"#)).await.unwrap_err(),
        "query",
    );
    refused(
        logs.search_logs(SearchLogsRequest {
            page_token: "zz".into(),
            ..query("")
        })
        .await
        .unwrap_err(),
        "page_token",
    );
    refused(
        logs.tail_logs(TailLogsRequest {
            replay: Some(duration(Duration::from_secs(7200))),
            ..TailLogsRequest::default()
        })
        .await
        .unwrap_err(),
        "replay",
    );
    refused(
        logs.tail_logs(TailLogsRequest {
            filter: Some(LogFilter {
                min_level: 42,
                ..LogFilter::default()
            }),
            ..TailLogsRequest::default()
        })
        .await
        .unwrap_err(),
        "filter.min_level",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_returns_recent_lines_then_follows() {
    let harness = Harness::start().await;
    let mut logs = log_client(&harness).await;
    let writer_client = logs.clone();
    let write = |messages: &[&str]| {
        let mut logs = writer_client.clone();
        let records = messages.iter().map(|m| line(m)).collect();
        async move { logs.write_logs(WriteLogsRequest { records }).await.unwrap() }
    };
    write(&["Deploy one", "noise", "deploy two"]).await;
    let mut tail = logs
        .tail_logs(TailLogsRequest {
            text: "DEPLOY".into(),
            replay: Some(duration(Duration::from_secs(60))),
            ..TailLogsRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    write(&["deploy three"]).await;
    let lines = collect(&mut tail, 3).await;
    let messages: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(messages, ["Deploy one", "deploy two", "deploy three"]);
    write(&["more noise", "deploy four"]).await;
    let lines = collect(&mut tail, 1).await;
    assert_eq!(lines[0].message, "deploy four");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trimming_keeps_every_line_until_it_is_archived() {
    let harness = Harness::start_with(&["--log-tail-window", "1s"]).await;
    let mut logs = log_client(&harness).await;
    let mut written = 0;
    let started = Instant::now();
    // Bursts over a few trims, faster than a round archives them.
    while started.elapsed() < Duration::from_secs(3) {
        let records = (0..1_000)
            .map(|n| line(&format!("burst line {n}")))
            .collect();
        logs.write_logs(WriteLogsRequest { records }).await.unwrap();
        written += 1_000;
    }
    let database = zenith_server::db::Database::connect(harness.server.database_url())
        .await
        .unwrap();
    let store = zenith_server::logs::store::open(&database);
    let mut conn = harness.redis.connection().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let archived = store.count().await.unwrap();
        let in_redis: u64 = redis::cmd("XLEN")
            .arg("zenith:logs")
            .query_async(&mut conn)
            .await
            .unwrap();
        if archived == written && in_redis == 0 {
            break;
        }
        assert!(archived <= written);
        assert!(
            Instant::now() < deadline,
            "archived {archived} of {written}; {in_redis} left in redis"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tail_ends_when_the_server_stops() {
    let h = Harness::start().await;
    let mut logs = log_client(&h).await;
    let mut tail = logs
        .tail_logs(TailLogsRequest::default())
        .await
        .unwrap()
        .into_inner();
    logs.write_logs(WriteLogsRequest {
        records: vec![line("before the stop")],
    })
    .await
    .unwrap();
    assert_eq!(collect(&mut tail, 1).await[0].message, "before the stop");
    let mut server = h.server;
    let stopping = tokio::task::spawn_blocking(move || server.stop());
    let end = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            match tail.message().await {
                Ok(Some(_)) => continue,
                other => return other.map(|_| ()),
            }
        }
    })
    .await
    .expect("the tail ends");
    assert!(end.is_ok(), "a clean end, not an error: {end:?}");
    assert_eq!(stopping.await.unwrap(), Some(0), "a clean shutdown");
}

/// Lines and skipped counts from the tail until together they reach `total`.
async fn drain(tail: &mut Streaming<TailLogsResponse>, total: i64) -> (Vec<LogRecord>, i64) {
    let mut lines = Vec::new();
    let mut skipped = 0;
    while lines.len() as i64 + skipped < total {
        let response = tokio::time::timeout(Duration::from_secs(30), tail.next())
            .await
            .expect("tail delivered in time")
            .expect("tail still open")
            .unwrap();
        skipped += response.skipped;
        lines.extend(response.records);
    }
    (lines, skipped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tail_that_falls_behind_skips_lines_and_holds_up_no_one() {
    let harness = Harness::start().await;
    let mut logs = log_client(&harness).await;
    let open = |mut logs: LogServiceClient<Channel>| async move {
        logs.tail_logs(TailLogsRequest::default())
            .await
            .unwrap()
            .into_inner()
    };
    let mut slow = open(logs.clone()).await;
    let mut fast = open(logs.clone()).await;
    let total = 36_000;
    let writing = async {
        for batch in 0..total / 1_000 {
            let records = (0..1_000)
                .map(|n| line(&format!("line {} {}", batch * 1_000 + n, "x".repeat(1_000))))
                .collect();
            logs.write_logs(WriteLogsRequest { records }).await.unwrap();
        }
    };
    // The slow tail reads nothing until the fast one has seen every line: more than its
    // buffers hold (lines in the broadcast, responses queued, bytes in the HTTP/2 window).
    let ((fast_lines, _), ()) = tokio::join!(drain(&mut fast, total), writing);
    let numbers: Vec<i64> = fast_lines
        .iter()
        .map(|l| l.message.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]), "in order");
    let (slow_lines, skipped) = drain(&mut slow, total).await;
    assert!(skipped > 0, "the slow tail skipped lines");
    assert_eq!(slow_lines.len() as i64 + skipped, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_a_stopped_replica_left_pending_are_kept_and_archived() {
    let harness = Harness::start_with(&["--log-tail-window", "1s"]).await;
    let mut logs = log_client(&harness).await;
    let mut conn = harness.redis.connection().await.unwrap();
    // The live server may have made the group already.
    let _: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg("zenith:logs")
        .arg("log-archiver")
        .arg("0")
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await;
    // A replica that read a line and died before archiving it, in one step so that the live
    // archiver cannot read the line first.
    let (_, stranded): (String, redis::Value) = redis::pipe()
        .atomic()
        .cmd("XADD")
        .arg("zenith:logs")
        .arg("*")
        .arg("record")
        .arg(r#"{"message":"stranded line"}"#)
        .cmd("XREADGROUP")
        .arg("GROUP")
        .arg("log-archiver")
        .arg("dead-replica")
        .arg("STREAMS")
        .arg("zenith:logs")
        .arg(">")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_ne!(
        stranded,
        redis::Value::Nil,
        "the dead replica holds the line"
    );
    logs.write_logs(WriteLogsRequest {
        records: vec![line("later line")],
    })
    .await
    .unwrap();
    search_until(&mut logs, query("later"), 1).await;
    // Past the tail window the stranded line is still in Redis: trimming stops at it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kept: Vec<redis::Value> = redis::cmd("XRANGE")
        .arg("zenith:logs")
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept.len(), 2, "nothing trimmed past the pending line");
    // Once idle long enough, the live replica claims and archives it.
    let found = search_until(&mut logs, query("stranded"), 1).await;
    assert_eq!(found.len(), 1);
}
