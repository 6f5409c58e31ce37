//! The operator CLI: talks gRPC to a Zenith server.

use clap::Subcommand;

#[derive(Subcommand)]
pub enum Command {
    /// Lists every queue with its counts.
    Queues,
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Queues => anyhow::bail!("not implemented yet"),
    }
}
