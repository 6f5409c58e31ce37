//! `zenith serve` with no Redis URL finds or starts a Redis by itself.

use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};

use std::time::Duration;

use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::{EnqueueRequest, JobSpec};

/// Redis rewrites its process title but works in its --dir, so match on the working directory.
fn redis_processes_using(dir: &std::path::Path) -> usize {
    let dir = dir.join("redis").canonicalize().unwrap_or_default();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| {
            let path = entry.path();
            std::fs::read_to_string(path.join("comm"))
                .is_ok_and(|comm| comm.trim() == "redis-server")
                && std::fs::read_link(path.join("cwd")).is_ok_and(|cwd| cwd == dir)
        })
        .count()
}

/// Kills the server if an assertion fails first, so no process outlives the test.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_a_redis_url_manages_its_own_redis_and_stops_it() {
    let default_redis_answers = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], 6379)),
        Duration::from_millis(200),
    )
    .is_ok();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let port = zenith_testkit::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_zenith"))
        .arg("serve")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}",
            dir.path().join("zenith.db").display()
        ))
        .env_remove("ZENITH_REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = KillOnDrop(Some(child));

    let url = format!("http://127.0.0.1:{port}");
    let mut client = None;
    for _ in 0..200 {
        if let Ok(connected) = QueueServiceClient::connect(url.clone()).await {
            client = Some(connected);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut client = client.expect("server came up");
    let response = client
        .enqueue(EnqueueRequest {
            job: Some(JobSpec {
                queue: "managed".into(),
                r#type: "x".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("enqueue through the server's redis");
    assert!(!response.into_inner().job.unwrap().id.is_empty());

    if !default_redis_answers {
        assert!(
            data_dir.join("redis").is_dir(),
            "managed redis keeps its data under --data-dir"
        );
        assert_eq!(redis_processes_using(&data_dir), 1);
    }
    drop(client);
    let mut child = server.0.take().unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(
        redis_processes_using(&data_dir),
        0,
        "the managed redis stops with the server"
    );
}
