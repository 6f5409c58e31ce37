//! Zenith's v1 API contract, generated from `proto/zenith/v1/*.proto`, shared by the server,
//! the Rust SDK and the CLI.

pub mod v1 {
    tonic::include_proto!("zenith.v1");
}

use std::collections::HashMap;
use std::sync::LazyLock;

use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, MethodDescriptor, SerializeOptions,
};

/// The encoded `FileDescriptorSet` of every Zenith proto and its imports, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("zenith_descriptor");

/// Descriptors of every Zenith message, service and method.
pub static DESCRIPTOR_POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("embedded descriptor set is valid")
});

/// Every RPC of the contract by its full gRPC path (`/zenith.v1.QueueService/Enqueue`).
static METHODS: LazyLock<HashMap<String, MethodDescriptor>> = LazyLock::new(|| {
    DESCRIPTOR_POOL
        .services()
        .flat_map(|service| service.methods().collect::<Vec<_>>())
        .map(|method| {
            let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
            (path, method)
        })
        .collect()
});

/// Full gRPC paths of every RPC in the contract.
pub fn rpc_paths() -> Vec<String> {
    METHODS.keys().cloned().collect()
}

/// The RPC at a full gRPC path.
pub fn method(path: &str) -> Option<MethodDescriptor> {
    METHODS.get(path).cloned()
}

/// The full gRPC path of an RPC of the contract, as a `'static` string (for metric labels).
pub fn rpc_path(path: &str) -> Option<&'static str> {
    METHODS.get_key_value(path).map(|(path, _)| path.as_str())
}

/// Every RPC with its full gRPC path.
pub fn methods() -> impl Iterator<Item = (&'static String, &'static MethodDescriptor)> {
    METHODS.iter()
}

/// Renders a message in the proto3 JSON mapping, as `grpcurl` shows it. For messages a caller
/// sent, use `try_to_json`: a timestamp or duration out of the mapping's range cannot render.
pub fn to_json<M: prost::Message + prost::Name>(message: &M) -> serde_json::Value {
    try_to_json(message).expect("message has no out-of-range timestamp or duration")
}

/// Renders a message in the proto3 JSON mapping, or says why it cannot (a timestamp before
/// year 1 or after 9999, a duration over 10,000 years, nanos out of range).
pub fn try_to_json<M: prost::Message + prost::Name>(
    message: &M,
) -> Result<serde_json::Value, String> {
    let descriptor = DESCRIPTOR_POOL
        .get_message_by_name(&M::full_name())
        .expect("message is part of the contract");
    let mut dynamic = DynamicMessage::new(descriptor);
    dynamic
        .transcode_from(message)
        .expect("message matches its descriptor");
    let options = SerializeOptions::new().skip_default_fields(true);
    dynamic
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|error| error.to_string())
}

/// Parses a message from the proto3 JSON mapping, ignoring fields this version does not know
/// (so older readers accept newer writers).
pub fn from_json<M: prost::Message + prost::Name + Default>(json: &[u8]) -> Result<M, String> {
    let descriptor = DESCRIPTOR_POOL
        .get_message_by_name(&M::full_name())
        .expect("message is part of the contract");
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let dynamic = DynamicMessage::deserialize_with_options(descriptor, &mut deserializer, &options)
        .map_err(|error| error.to_string())?;
    deserializer.end().map_err(|error| error.to_string())?;
    dynamic.transcode_to().map_err(|error| error.to_string())
}
