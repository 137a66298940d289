//! Generated secret values (`secret.data.KEY: {generate: N}`) that stay stable across renders.
//!
//! A value is, in order of preference: the one already in the previous output directory,
//! one derived from a secret seed (HMAC-SHA256 of `namespace/name/key`, so two machines with
//! the same seed agree), or, only when writing an output directory, a fresh random one that
//! later renders then reuse.

use sha2::{Digest, Sha256};

/// Characters of generated values: letters and digits, safe in any config or URL.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Longest value `generate` accepts.
pub const MAX_LENGTH: u32 = 1024;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
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
