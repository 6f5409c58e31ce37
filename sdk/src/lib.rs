//! Rust client and worker for Zenith.
