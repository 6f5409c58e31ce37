//! `zenith`: the server (`zenith serve`) and the operator CLI in one binary.

use std::time::Duration;

use clap::{Parser, Subcommand};
use zenith_server::config::ServeArgs;
use zenith_server::{serve, telemetry};

mod cli;

#[derive(Parser)]
#[command(name = "zenith", version, about = "Control plane for job processing")]
struct Args {
    #[command(flatten)]
    client: cli::ClientArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server: gRPC, grpc-web, health and readiness on one port.
    Serve(Box<ServeArgs>),
    /// Checks the deployment `zenith serve` is configured for (Redis and SQL) and prints what
    /// to fix; exits 1 when a check fails. Takes the same settings as `serve`.
    Doctor(Box<ServeArgs>),
    #[command(flatten)]
    Client(cli::Command),
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    let mut checks_failed = false;
    let result = match args.command {
        Command::Serve(args) => {
            let config = args.resolve()?;
            let tracer = {
                let _runtime = runtime.enter();
                telemetry::init(config.log_format, "info", true)?
            };
            let served = runtime.block_on(serve::serve(config));
            // After the graceful shutdown, so the last calls' spans are exported too.
            if let Some(tracer) = tracer
                && let Err(error) = tracer.shutdown()
            {
                tracing::warn!(%error, "flushing spans failed");
            }
            served
        }
        Command::Doctor(doctor) => {
            let config = doctor.resolve()?;
            telemetry::init(config.log_format, "error", false)?;
            runtime
                .block_on(cli::doctor::run(config, args.client.json))
                .map(|healthy| checks_failed = !healthy)
        }
        Command::Client(command) => runtime.block_on(cli::run(args.client, command)),
    };
    // Nothing left to wait for once the command is done; idle pool threads may linger.
    runtime.shutdown_timeout(Duration::from_millis(200));
    if checks_failed {
        std::process::exit(1);
    }
    result
}
