//! ListJobs with a filter through a real server: paging returns exactly the matching jobs, and a
//! malformed filter is refused naming the field and the position.

mod common;

use common::{Harness, spec};
use tonic::Code;
use zenith_proto::v1::*;

fn field(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("field").cloned())
        .unwrap_or_default()
}

/// Follows next_page_token to the end; returns the ids in order and how many pages it took.
async fn list_all(
    h: &mut Harness,
    queue: &str,
    state: JobState,
    filter: &str,
    page_size: i32,
    order: ListOrder,
) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = h
            .queues
            .list_jobs(ListJobsRequest {
                queue: queue.into(),
                state: state as i32,
                page_size,
                page_token: token,
                order: order as i32,
                filter: filter.into(),
            })
            .await
            .expect("list jobs")
            .into_inner();
        pages += 1;
        assert!(page.jobs.len() <= page_size as usize);
        ids.extend(page.jobs.into_iter().map(|job| job.id));
        if page.next_page_token.is_empty() {
            return (ids, pages);
        }
        token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_pages_hold_exactly_the_matching_jobs() {
    let mut h = Harness::start().await;
    let jobs: Vec<JobSpec> = (0..300)
        .map(|i| JobSpec {
            tags: if i % 7 == 0 {
                vec!["vip".into()]
            } else {
                vec![]
            },
            payload: format!(r#"{{"n":{i},"customer":{{"email":"c{i}@example.com"}}}}"#).into(),
            content_type: "application/json".into(),
            ..spec("filtered", if i % 3 == 0 { "SendEmail" } else { "Resize" })
        })
        .collect();
    let ids: Vec<String> = h
        .queues
        .batch_enqueue(BatchEnqueueRequest { jobs })
        .await
        .unwrap()
        .into_inner()
        .jobs
        .into_iter()
        .map(|job| job.id)
        .collect();
    let expected = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..ids.len())
            .filter(|&i| keep(i))
            .map(|i| ids[i].clone())
            .collect()
    };

    let cases: Vec<(&str, Vec<String>)> = vec![
        ("type = \"SendEmail\"", expected(&|i| i % 3 == 0)),
        (
            "type = \"SendEmail\" AND tags : \"vip\"",
            expected(&|i| i % 21 == 0),
        ),
        (
            "payload.n >= 250 OR payload.customer.email = \"c3@example.com\"",
            expected(&|i| i >= 250 || i == 3),
        ),
        ("NOT type : \"send\"", expected(&|i| i % 3 != 0)),
        ("type = \"Nothing\"", vec![]),
        ("", ids.clone()),
    ];
    for (filter, want) in cases {
        for page_size in [1, 7, 50] {
            let (got, _) = list_all(
                &mut h,
                "filtered",
                JobState::Pending,
                filter,
                page_size,
                ListOrder::OldestFirst,
            )
            .await;
            assert_eq!(got, want, "{filter:?} in pages of {page_size}");
        }
        let (mut newest, _) = list_all(
            &mut h,
            "filtered",
            JobState::Pending,
            filter,
            10,
            ListOrder::NewestFirst,
        )
        .await;
        newest.reverse();
        assert_eq!(newest, want, "{filter:?} newest first");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sparse_filter_pages_on_when_the_scan_budget_runs_out() {
    let mut h = Harness::start().await;
    let mut ids = Vec::new();
    for batch in 0..12 {
        let jobs: Vec<JobSpec> = (0..1000)
            .map(|i| {
                let n = batch * 1000 + i;
                spec("sparse", if n % 4000 == 3999 { "Rare" } else { "Common" })
            })
            .collect();
        ids.extend(
            h.queues
                .batch_enqueue(BatchEnqueueRequest { jobs })
                .await
                .unwrap()
                .into_inner()
                .jobs
                .into_iter()
                .map(|job| job.id),
        );
    }
    let want: Vec<String> = [3999, 7999, 11999].map(|n| ids[n].clone()).to_vec();
    let (got, pages) = list_all(
        &mut h,
        "sparse",
        JobState::Pending,
        "type = \"Rare\"",
        50,
        ListOrder::OldestFirst,
    )
    .await;
    assert_eq!(got, want);
    // 12,000 jobs at most 5,000 examined per call: the listing needs three calls.
    assert_eq!(pages, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_filters_are_refused_with_the_position() {
    let mut h = Harness::start().await;
    h.enqueue(spec("q", "t")).await;
    for (filter, message) in [
        (
            "type =",
            "filter: at position 6: expected a value after \"=\", found end of filter",
        ),
        (
            "tpye = \"x\"",
            "filter: at position 0: unknown field \"tpye\"; fields are id, queue, type",
        ),
        (
            "type = \"a\" AND id = \"b\" OR id = \"c\"",
            "filter: at position 24: AND and OR cannot be mixed without parentheses",
        ),
    ] {
        let status = h
            .queues
            .list_jobs(ListJobsRequest {
                queue: "q".into(),
                state: JobState::Pending as i32,
                filter: filter.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{filter}");
        assert_eq!(field(&status), "filter");
        assert!(
            status.message().starts_with(message),
            "{filter}: {}",
            status.message()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_jobs_can_be_listed() {
    let mut h = Harness::start().await;
    let status = h
        .queues
        .list_jobs(ListJobsRequest {
            queue: "q".into(),
            state: JobState::Cancelled as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    // The state is accepted; only the queue is unknown.
    assert_eq!(status.code(), Code::NotFound);
    h.enqueue(spec("q", "t")).await;
    let page = h
        .queues
        .list_jobs(ListJobsRequest {
            queue: "q".into(),
            state: JobState::Cancelled as i32,
            filter: "type = \"t\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(page.jobs.is_empty());
    assert!(page.next_page_token.is_empty());
}
