//! The SDK against a real Redis and a real `zenith serve` (build it first:
//! `cargo build -p zenith-server`).

mod client;
mod common;
mod cron;
mod pulse;
mod worker;
