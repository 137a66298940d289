//! Generated secret values (`secret.data.KEY: {generate: N}`) that stay stable across renders.
//!
//! A value is, in order of preference: the one already in the previous output directory,
//! one derived from a secret seed (HMAC-SHA256 of `namespace/name/key`, so two machines with
//! the same seed agree), or, only when writing an output directory, a fresh random one that
//! later renders then reuse.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Characters of generated values: letters and digits, safe in any config or URL.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Longest value `generate` accepts.
pub const MAX_LENGTH: u32 = crate::profile::schema::GENERATE_MAX;
/// Shortest `generate` length: 16 letters and digits are about 95 bits.
pub const MIN_LENGTH: u32 = crate::profile::schema::GENERATE_MIN;

/// The seed `generate` values derive from, given the bytes of the seed file or variable.
/// Line endings after it (`echo > file`, an editor's CRLF, a blank last line) are not part of
/// it: the same seed gives the same values however its file ends.
pub fn seed(mut bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    bytes.truncate(end);
    if bytes.len() < 16 {
        return Err("the secret seed is shorter than 16 bytes; use a long random value (e.g. `head -c 32 /dev/urandom | base64`)".into());
    }
    Ok(bytes)
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A value of `len` characters derived from `seed` for one Secret key.
pub fn derive(seed: &[u8], namespace: &str, name: &str, key: &str, len: usize) -> String {
    let label = format!("sts-gen/v1/{namespace}/{name}/{key}");
    let mut out = String::with_capacity(len);
    let mut counter: u32 = 0;
    while out.len() < len {
        let block = hmac_sha256(seed, &[label.as_bytes(), &counter.to_be_bytes()].concat());
        for b in block {
            // Rejection sampling keeps every character equally likely.
            if (b as usize) < 256 - 256 % ALPHABET.len() && out.len() < len {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
        counter += 1;
    }
    out
}

/// A fresh random value from the operating system's generator.
pub fn random(len: usize) -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 4231 test case 6: a key longer than the block size, which HMAC hashes first.
    #[test]
    fn hmac_matches_rfc_4231_case_6() {
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn derived_values_are_stable_and_distinct() {
        let a = derive(b"seed", "ns", "db", "password", 40);
        assert_eq!(a.len(), 40);
        assert_eq!(a, derive(b"seed", "ns", "db", "password", 40));
        assert_ne!(a, derive(b"seed", "ns", "db", "other", 40));
        assert_ne!(a, derive(b"seed2", "ns", "db", "password", 40));
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(random(12).len(), 12);
    }
}
