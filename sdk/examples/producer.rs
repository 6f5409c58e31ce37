//! Enqueues a few `send_welcome` jobs. Run a server, then:
//! `cargo run -p zenith-sdk --example producer` (server from `ZENITH_SERVER`, default
//! http://127.0.0.1:7700).

use std::time::Duration;

use zenith_sdk::Client;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = Client::connect_default().await?;
    for user_id in 1..=5 {
        let enqueued = client
            .enqueue("emails", "send_welcome")
            .json(&serde_json::json!({ "user_id": user_id }))?
            .max_attempts(3)
            .timeout(Duration::from_secs(30))
            .unique_key(format!("welcome-{user_id}"))
            .send()
            .await?;
        let note = if enqueued.duplicate {
            " (duplicate)"
        } else {
            ""
        };
        println!("enqueued {}{note}", enqueued.job.id);
    }
    // A delayed job, and a batch of ten in one call.
    client
        .enqueue("emails", "send_reminder")
        .json(&serde_json::json!({ "user_id": 1 }))?
        .delay(Duration::from_secs(10))
        .send()
        .await?;
    let batch = (0..10)
        .map(|n| {
            client
                .enqueue("emails", "send_welcome")
                .json(&serde_json::json!({ "user_id": 100 + n }))
                .map(|job| job.into_spec())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let enqueued = client.batch_enqueue(batch).await?;
    println!("batch enqueued {} jobs", enqueued.len());
    Ok(())
}
