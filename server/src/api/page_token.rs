//! Opaque page tokens: hex of a versioned, newline-separated list of parts, so callers cannot
//! mistake them for something to build by hand.

use crate::queue::QueueError;

const VERSION: &str = "v1";

pub fn encode(parts: &[&str]) -> String {
    let mut plain = String::from(VERSION);
    for part in parts {
        plain.push('\n');
        plain.push_str(part);
    }
    plain.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The token's parts; exactly `count` of them, or INVALID_ARGUMENT.
pub fn decode(token: &str, count: usize) -> Result<Vec<String>, QueueError> {
    let invalid = || QueueError::invalid("page_token", "not a token from a previous response");
    if !token.len().is_multiple_of(2) || token.len() > 4096 {
        return Err(invalid());
    }
    // Pairs of bytes, not of chars: a non-ASCII token must be refused, not split mid-char.
    let bytes = token
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let plain = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = plain.split('\n');
    if parts.next() != Some(VERSION) {
        return Err(invalid());
    }
    let parts: Vec<String> = parts.map(str::to_owned).collect();
    if parts.len() != count {
        return Err(invalid());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let token = encode(&["emails", "12.5"]);
        assert_eq!(decode(&token, 2).unwrap(), vec!["emails", "12.5"]);
        assert!(decode(&token, 1).is_err());
        assert!(decode("zz", 1).is_err());
        assert!(decode("emails", 1).is_err());
        assert!(decode("aéa", 1).is_err());
    }
}
