//! The job payload vectors (tests/vectors/jobs): each `request` in JSON decodes to the same
//! `EnqueueRequest` as its binary encoding.

use std::path::PathBuf;

use prost::Message;
use zenith_proto::v1::EnqueueRequest;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/jobs")
}

const NAMES: [&str; 4] = ["json-payload", "bytes-payload", "no-payload", "options"];

#[test]
fn json_and_binary_requests_decode_equal() {
    let write = std::env::var_os("ZENITH_WRITE_VECTORS").is_some();
    for name in NAMES {
        let vector: serde_json::Value =
            serde_json::from_slice(&std::fs::read(vectors().join(format!("{name}.json"))).unwrap())
                .unwrap();
        let request = serde_json::to_vec(&vector["request"]).unwrap();
        let from_json: EnqueueRequest = zenith_proto::from_json(&request)
            .unwrap_or_else(|error| panic!("{name}.json: {error}"));
        let job = from_json.job.as_ref().expect("job");
        assert!(!job.queue.is_empty() && !job.r#type.is_empty(), "{name}");
        let binary_path = vectors().join(format!("{name}.binpb"));
        if write {
            std::fs::write(&binary_path, from_json.encode_to_vec()).unwrap();
        }
        let binary = std::fs::read(&binary_path).unwrap();
        let from_binary = EnqueueRequest::decode(binary.as_slice()).unwrap();
        assert_eq!(from_json, from_binary, "{name}");
    }
}

#[test]
fn json_payloads_are_the_compact_encoding_of_the_input() {
    for name in ["json-payload", "options"] {
        let vector: serde_json::Value =
            serde_json::from_slice(&std::fs::read(vectors().join(format!("{name}.json"))).unwrap())
                .unwrap();
        let binary = std::fs::read(vectors().join(format!("{name}.binpb"))).unwrap();
        let job = EnqueueRequest::decode(binary.as_slice())
            .unwrap()
            .job
            .unwrap();
        assert_eq!(job.content_type, "application/json");
        // serde_json writes compact UTF-8 without escaping `/` or `<`, and sorts keys as
        // the inputs are sorted: the very rule.
        let expected = serde_json::to_vec(&vector["input"]["json"]).unwrap();
        assert_eq!(
            String::from_utf8(job.payload).unwrap(),
            String::from_utf8(expected).unwrap(),
            "{name}"
        );
    }
}
