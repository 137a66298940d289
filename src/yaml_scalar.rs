//! The YAML scalar rules the crate needs in three places: the profile loader (which plain
//! words are null or booleans), the template-output reader (`render::yaml`) and the writer
//! (`emit`), kept here once so that the reader and the writer cannot disagree on a word.

/// Words some YAML version reads as a boolean, null or special float, in any case: YAML
/// 1.2's `true`/`false`/`null`, YAML 1.1's `yes`/`no`/`on`/`off`/`y`/`n`, and `nan`/`inf`
/// (serde-saphyr reads all of them so). A string equal to one must be quoted.
pub(crate) fn special_word(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf",
    ];
    s.len() <= 5 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// A mapping key that stands unquoted and reads back as the same string: a letter or `_`
/// first, then letters, digits and `_.-/`, and not a [`special_word`]. (`_` starts a plain
/// scalar like a letter does: no YAML indicator, number or date begins with it.)
pub(crate) fn plain_key(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes
        .first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
        && !special_word(s)
}

/// Whether every byte is printable ASCII or a line break: text any YAML writer and reader
/// takes as it is. Checked 32 bytes at a time without an early exit inside, which the
/// compiler vectorizes (a byte loop that stops at the first miss is not); template output
/// and config files are scanned whole.
pub(crate) fn printable_ascii_lines(bytes: &[u8]) -> bool {
    bytes.chunks(32).all(|chunk| {
        chunk.iter().fold(true, |ok, &b| {
            ok & (matches!(b, b' '..=b'~') | (b == b'\n'))
        })
    })
}

/// The plain words YAML 1.2's core schema reads as null (an empty value too).
pub(crate) fn core_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// The plain words YAML 1.2's core schema reads as a boolean.
pub(crate) fn core_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_words_in_any_case() {
        for w in [
            "yes", "No", "ON", "off", "Y", "n", "NULL", "NaN", "Inf", "True",
        ] {
            assert!(special_word(w), "{w}");
        }
        for w in ["yess", "nope", "none", "~", "", "tru"] {
            assert!(!special_word(w), "{w}");
        }
    }

    #[test]
    fn printable_ascii_lines_at_any_position() {
        let long = "a".repeat(100);
        assert!(printable_ascii_lines(b""));
        assert!(printable_ascii_lines(format!("{long}\n ~").as_bytes()));
        for bad in [b'\t', b'\r', 0x7f, 0x80, 0x00, 0x1f] {
            for at in [0, 31, 32, 33, 99] {
                let mut text = long.clone().into_bytes();
                text[at] = bad;
                assert!(!printable_ascii_lines(&text), "{bad:#x} at {at}");
            }
        }
    }

    #[test]
    fn plain_keys() {
        for k in ["a", "_a", "_", "app.kubernetes.io/name", "max-conn", "a_b9"] {
            assert!(plain_key(k), "{k}");
        }
        for k in ["", "9a", "-a", ".a", "/a", "a b", "a:b", "yes", "Null", "é"] {
            assert!(!plain_key(k), "{k}");
        }
    }

    #[test]
    fn core_schema_words() {
        assert!(core_null("~") && core_null("") && core_null("Null") && !core_null("nULL"));
        assert_eq!(core_bool("TRUE"), Some(true));
        assert_eq!(core_bool("False"), Some(false));
        assert_eq!(core_bool("yes"), None);
    }
}
