//! The pulse test vectors (tests/vectors/pulse): each JSON beat decodes to the same message as
//! its binary encoding; the invalid ones are refused.

use std::path::PathBuf;

use prost::Message;
use zenith_proto::v1::BeatPayload;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/pulse")
}

const VALID: [&str; 3] = ["minimal", "full", "unknown-field"];

#[test]
fn json_and_binary_vectors_decode_equal() {
    let write = std::env::var_os("ZENITH_WRITE_VECTORS").is_some();
    for name in VALID {
        let json = std::fs::read(vectors().join(format!("{name}.json"))).unwrap();
        let from_json: BeatPayload =
            zenith_proto::from_json(&json).unwrap_or_else(|error| panic!("{name}.json: {error}"));
        let identity = from_json.identity.as_ref().expect("identity");
        assert!(!identity.node_id.is_empty() && !identity.service.is_empty());
        let binary_path = vectors().join(format!("{name}.binpb"));
        if write {
            std::fs::write(&binary_path, from_json.encode_to_vec()).unwrap();
        }
        let binary = std::fs::read(&binary_path).unwrap();
        let from_binary = BeatPayload::decode(binary.as_slice()).unwrap();
        assert_eq!(from_json, from_binary, "{name}");
    }
}

#[test]
fn full_vector_sets_every_field() {
    let json = std::fs::read(vectors().join("full.json")).unwrap();
    let beat: BeatPayload = zenith_proto::from_json(&json).unwrap();
    let identity = beat.identity.as_ref().unwrap();
    assert_eq!(identity.labels.len(), 2);
    assert!(identity.pid > 0 && !identity.platform.is_empty() && !identity.sdk_version.is_empty());
    assert!(beat.sent_at.is_some() && beat.interval.is_some() && beat.uptime.is_some());
    assert!(beat.process.is_some() && beat.system.is_some());
    assert_eq!(beat.jobs.len(), 1);
    assert!(beat.jobs[0].started_at.is_some() && !beat.jobs[0].lease_token.is_empty());
    assert_eq!(beat.external_queues.len(), 1);
    assert!(beat.external_queues[0].oldest_pending_age.is_some());
    assert_eq!(beat.queues.len(), 2);
    assert!(beat.quiet);
}

#[test]
fn invalid_vectors_are_refused() {
    let not_json = std::fs::read(vectors().join("invalid-not-json.json")).unwrap();
    assert!(zenith_proto::from_json::<BeatPayload>(&not_json).is_err());
    // Valid JSON and a valid message, but no identity: refused by whoever checks the beat.
    let no_identity = std::fs::read(vectors().join("invalid-no-identity.json")).unwrap();
    let beat: BeatPayload = zenith_proto::from_json(&no_identity).unwrap();
    assert!(beat.identity.is_none());
}
