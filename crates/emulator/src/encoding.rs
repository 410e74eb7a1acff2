//! RFC 3986 percent-encoding shared by the three signature schemes.
//!
//! Alibaba (V1 and ACS3) and Huawei (SDK-HMAC-SHA256) all encode every byte
//! except the unreserved set `A-Z a-z 0-9 - _ . ~`, with upper-case hex.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters is encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes `value` as the clouds' signers do (space → `%20`, `*` → `%2A`, `~` kept).
pub(crate) fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, RFC3986).to_string()
}

/// Decodes an `application/x-www-form-urlencoded` string (query or form body) into pairs,
/// keeping their order and repeated keys.
pub(crate) fn decode_pairs(encoded: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn encodes_like_the_sdks() {
        assert_eq!(percent_encode("a b*c~d/e"), "a%20b%2Ac~d%2Fe");
        assert_eq!(percent_encode("ké"), "k%C3%A9");
        assert_eq!(percent_encode("2024-01-02T03:04:05Z"), "2024-01-02T03%3A04%3A05Z");
    }
}
