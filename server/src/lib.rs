//! Zenith's server: the queue engine, the gRPC services, and what runs them.

pub mod alerts;
pub mod api;
pub mod archive;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod console;
pub mod cron;
pub mod db;
mod demo;
pub mod doctor;
pub mod filter;
pub mod listener;
pub mod logs;
mod managed_redis;
pub mod metrics;
pub mod pulse;
pub mod queue;
pub mod redis_conn;
pub mod serve;
pub mod telemetry;
