//! The client against a real server: enqueue options, batches, listings, pause and resume.

use super::common;

use std::time::Duration;

use tonic::Code;
use zenith_sdk::JobState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_sets_options_and_detects_duplicates() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;

    let first = client
        .enqueue("emails", "send_welcome")
        .json(&serde_json::json!({ "user_id": 7 }))?
        .priority(5)
        .max_attempts(3)
        .unique_key("welcome-7")
        .tag("signup")
        .header("trace", "abc")
        .timeout(Duration::from_secs(60))
        .send()
        .await?;
    assert!(!first.duplicate);
    let job = &first.job;
    assert_eq!(job.queue, "emails");
    assert_eq!(job.r#type, "send_welcome");
    assert_eq!(job.content_type, "application/json");
    assert_eq!(job.payload, br#"{"user_id":7}"#);
    assert_eq!(job.priority, 5);
    assert_eq!(job.max_attempts, 3);
    assert_eq!(job.tags, ["signup"]);
    assert_eq!(job.headers.get("trace").map(String::as_str), Some("abc"));
    assert_eq!(job.state(), JobState::Pending);

    let again = client
        .enqueue("emails", "send_welcome")
        .unique_key("welcome-7")
        .send()
        .await?;
    assert!(again.duplicate);
    assert_eq!(again.job.id, job.id);

    let fetched = client.get_job(&job.id).await?;
    assert_eq!(fetched.id, job.id);

    let delayed = client
        .enqueue("emails", "send_reminder")
        .id("reminder-1")
        .delay(Duration::from_secs(3600))
        .send()
        .await?;
    assert_eq!(delayed.job.id, "reminder-1");
    assert_eq!(delayed.job.state(), JobState::Scheduled);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_keep_their_code() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let missing = harness.client.get_job("no-such-job").await.unwrap_err();
    assert_eq!(missing.code(), Some(Code::NotFound), "{missing}");
    let invalid = harness
        .client
        .enqueue("bad queue name!", "t")
        .send()
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Some(Code::InvalidArgument), "{invalid}");
    // Over the server's 1 MiB payload limit: refused the same way every time, so not retried.
    let oversized = harness
        .client
        .enqueue("emails", "t")
        .payload(vec![b'x'; 2 << 20])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        oversized.code(),
        Some(Code::ResourceExhausted),
        "{oversized}"
    );
    assert_eq!(oversized.reason().as_deref(), Some("TOO_LARGE"));
    assert!(!oversized.is_transient(), "{oversized}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_enqueue_and_list_pages() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let specs = (0..120)
        .map(|n| {
            client
                .enqueue("reports", "render")
                .id(format!("report-{n:03}"))
                .payload(format!("{n}"))
                .into_spec()
        })
        .collect::<Vec<_>>();
    let enqueued = client.batch_enqueue(specs.clone()).await?;
    assert_eq!(enqueued.len(), 120);
    assert!(enqueued.iter().all(|job| !job.duplicate));
    assert_eq!(enqueued[0].id, "report-000");

    let again = client.batch_enqueue(specs[..3].to_vec()).await?;
    assert!(again.iter().all(|job| job.duplicate));

    let queue = client.get_queue("reports").await?;
    assert_eq!(queue.counts.unwrap_or_default().pending, 120);

    // Paged by 50: three calls collect all 120 in FIFO order.
    let all = client
        .list_jobs("reports", JobState::Pending)
        .page_size(50)
        .collect(1_000)
        .await?;
    assert_eq!(all.jobs.len(), 120);
    assert!(all.next_page_token.is_empty());
    assert_eq!(all.jobs[0].id, "report-000");
    assert_eq!(all.jobs[119].id, "report-119");

    let first = client
        .list_jobs("reports", JobState::Pending)
        .collect(10)
        .await?;
    assert_eq!(first.jobs.len(), 10);
    assert!(!first.next_page_token.is_empty());
    let next = client
        .list_jobs("reports", JobState::Pending)
        .page_token(first.next_page_token)
        .page_size(10)
        .page()
        .await?;
    assert_eq!(next.jobs[0].id, "report-010");

    let newest = client
        .list_jobs("reports", JobState::Pending)
        .newest_first()
        .collect(1)
        .await?;
    assert_eq!(newest.jobs[0].id, "report-119");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_show_in_queue_listing() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    client.enqueue("alpha", "t").send().await?;
    client.enqueue("beta", "t").send().await?;

    let paused = client.pause_queue("alpha").await?;
    assert!(paused.paused);
    let queues = client.list_queues().await?;
    let names: Vec<_> = queues.iter().map(|queue| queue.name.as_str()).collect();
    assert!(
        names.contains(&"alpha") && names.contains(&"beta"),
        "{names:?}"
    );
    assert!(
        queues
            .iter()
            .any(|queue| queue.name == "alpha" && queue.paused)
    );
    assert!(
        queues
            .iter()
            .any(|queue| queue.name == "beta" && !queue.paused)
    );

    let resumed = client.resume_queue("alpha").await?;
    assert!(!resumed.paused);
    Ok(())
}
