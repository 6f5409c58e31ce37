//! `zenith`: the server (`zenith serve`) and the operator CLI in one binary.

use clap::{Parser, Subcommand};

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
    Serve,
    #[command(flatten)]
    Client(cli::Command),
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match args.command {
        Command::Serve => Ok(()),
        Command::Client(command) => runtime.block_on(cli::run(command)),
    }
}
