//! `zenith`: the server (`zenith serve`) and the operator CLI in one binary.

use std::time::Duration;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use zenith_server::config::ServeArgs;
use zenith_server::serve;

mod cli;

#[derive(Parser)]
#[command(name = "zenith", version, about = "Control plane for job processing")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server: gRPC, grpc-web, health and readiness on one port.
    Serve(Box<ServeArgs>),
    #[command(flatten)]
    Client(cli::Command),
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    let result = match args.command {
        Command::Serve(args) => {
            init_tracing();
            runtime.block_on(serve::serve(args.resolve()?))
        }
        Command::Client(command) => runtime.block_on(cli::run(command)),
    };
    // Nothing left to wait for once the command is done; idle pool threads may linger.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

fn init_tracing() {
    let filter = EnvFilter::try_from_env("ZENITH_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
