//! Embeds the console's built assets (`clients/web/dist`) so that one binary serves it. Without a
//! build, the binary embeds nothing and `/` explains how to build the console.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/web/dist");
    // Cargo scans a directory named here for changes, so a new console build re-embeds. A missing
    // path counts as changed on every build, so until the console is built its source directory
    // is watched instead: the build creates dist there.
    let watched = if dist.is_dir() {
        dist.clone()
    } else {
        dist.parent().expect("dist has a parent").to_path_buf()
    };
    println!("cargo:rerun-if-changed={}", watched.display());
    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &mut files);
    }
    files.sort();
    let mut code = String::from("pub static ASSETS: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let name = file
            .strip_prefix(&dist)
            .expect("asset under dist")
            .to_str()
            .expect("utf-8 asset path")
            .replace('\\', "/");
        let path = file.canonicalize().expect("asset path");
        writeln!(code, "    ({name:?}, include_bytes!({path:?})),").expect("write to string");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR set by cargo"));
    std::fs::write(out.join("console_assets.rs"), code).expect("write console_assets.rs");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read console dist") {
        let path = entry.expect("console dist entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
