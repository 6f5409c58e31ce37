use std::{env, fs, path::PathBuf};

use prost::Message;

// The protos compile with protox, so building needs no system `protoc`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "zenith/v1/admin.proto",
        "zenith/v1/alert.proto",
        "zenith/v1/archive.proto",
        "zenith/v1/bulk.proto",
        "zenith/v1/cron.proto",
        "zenith/v1/job.proto",
        "zenith/v1/logs.proto",
        "zenith/v1/metrics.proto",
        "zenith/v1/pulse.proto",
        "zenith/v1/queue.proto",
        "zenith/v1/worker.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("zenith_descriptor.bin");
    fs::write(&descriptor_path, descriptors.encode_to_vec())?;
    // Type names let callers render any message as proto3 JSON by its full name.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_path)
        .skip_protoc_run()
        .compile_fds_with_config(descriptors, config)?;
    Ok(())
}
