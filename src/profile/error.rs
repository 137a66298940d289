//! Errors of the load and model stages: each names a place in a profile.

pub use crate::shared::error::{ErrorKind, LoadError, Loc};

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (levenshtein(&word_l, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["replicas", "image", "imagePullPolicy", "ports"];
        assert_eq!(did_you_mean("replica", &keys), Some("replicas"));
        assert_eq!(
            did_you_mean("imagePullPolicies", &keys),
            Some("imagePullPolicy")
        );
        assert_eq!(did_you_mean("Ports", &keys), Some("ports"));
        assert_eq!(did_you_mean("storage", &keys), None);
    }
}
