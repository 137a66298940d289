//! Finds a template's whole-body guard (see `render::guard`). Run by build.rs on the
//! bundled templates, so a render does not scan them again; here for its tests.

/// The condition of the `{% if %}` block that holds everything `source` writes, if there is
/// one: only whitespace and comments outside the block, and no `{% else %}`/`{% elif %}` of
/// it (the template writes nothing exactly when the condition is false). `None` when unsure.
pub(super) fn whole_body_guard(source: &str) -> Option<&str> {
    let mut guard = None;
    let mut open: Vec<&str> = Vec::new();
    let mut closed = false;
    let mut rest = source;
    loop {
        let Some(start) = rest.find('{') else {
            return (guard.is_some() && closed && rest.trim().is_empty()).then_some(guard?);
        };
        let (text, tag) = rest.split_at(start);
        // Text outside the block is written whether or not the condition holds.
        if (guard.is_none() || closed) && !text.trim().is_empty() {
            return None;
        }
        rest = match tag.as_bytes().get(1) {
            Some(b'#') => &tag[tag.find("#}")? + 2..],
            Some(b'{') if guard.is_none() || closed => return None,
            Some(b'{') => &tag[2 + tag_end(&tag[2..], "}}")? + 2..],
            Some(b'%') => {
                let end = 2 + tag_end(&tag[2..], "%}")?;
                let body = tag[2..end].trim_matches(|c: char| c == '-' || c == '+');
                let body = body.trim();
                let word = body.split_whitespace().next().unwrap_or("");
                if closed {
                    return None;
                }
                match word {
                    "if" if guard.is_none() => {
                        guard = Some(body["if".len()..].trim());
                        open.push("if");
                    }
                    _ if guard.is_none() => return None,
                    // An else of the guard writes something when the condition is false.
                    "else" | "elif" if open.len() == 1 => return None,
                    "else" | "elif" => {}
                    // A raw block may hold anything that looks like a tag.
                    "raw" => return None,
                    "set" if body.contains('=') => {}
                    "if" | "for" | "macro" | "call" | "filter" | "with" | "block" | "set"
                    | "autoescape" => open.push(word),
                    _ if word.starts_with("end") => {
                        if open.pop() != Some(&word["end".len()..]) {
                            return None;
                        }
                        closed = open.is_empty();
                    }
                    _ => {}
                }
                &tag[end + 2..]
            }
            // A `{` of the YAML text (a flow mapping).
            _ if guard.is_none() || closed => return None,
            _ => &tag[1..],
        };
    }
}

/// Where `close` (two bytes: `}}`, `%}`) ends a tag that starts at the beginning of
/// `inner`, skipping quoted strings (a `"%}"` in an expression does not end it).
fn tag_end(inner: &str, close: &str) -> Option<usize> {
    let bytes = inner.as_bytes();
    let [first, second] = close.as_bytes() else {
        return None;
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b if b == *first && bytes.get(i + 1) == Some(second) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::whole_body_guard as guard;

    #[test]
    fn a_block_around_everything_is_a_guard() {
        assert_eq!(guard("{% if app.x %}\na: 1\n{% endif %}\n"), Some("app.x"));
        assert_eq!(
            guard("{# about #}\n  {%- if a and b -%}\n{% for i in l %}{{ i }}{% else %}x{% endfor %}{% if c %}y{% else %}z{% endif %}\n{%+ endif +%}\n{# end #}\n"),
            Some("a and b")
        );
        assert_eq!(
            guard("{% if a %}{{ \"%}\" }}{% set x = 1 %}{% set y %}q{% endset %}{% endif %}"),
            Some("a")
        );
    }

    #[test]
    fn anything_written_outside_the_block_is_no_guard() {
        for source in [
            "a: 1\n{% if x %}b: 2{% endif %}",
            "{% if x %}b: 2{% endif %}\nc: 3",
            "{{ y }}{% if x %}b{% endif %}",
            "{% if x %}b{% endif %}{{ y }}",
            "{% if x %}b{% endif %}{% if y %}c{% endif %}",
            "{% if x %}b{% else %}c{% endif %}",
            "{% if x %}b{% elif y %}c{% endif %}",
            "{% for p in l %}{{ p }}{% endfor %}",
            "{% set x = 1 %}{% if x %}b{% endif %}",
            "{% if x %}{% raw %}{% endif %}{% endraw %}{% endif %}",
            "{% if x %}b",
            "{% if x %}{% for y in z %}{% endif %}{% endfor %}",
            "{% if x %}{{ unclosed",
            "{a: 1}\n{% if x %}b{% endif %}",
            "{% if x %}b{% endif %}\n{a: 1}",
            "no tags at all",
            "",
        ] {
            assert_eq!(guard(source), None, "{source}");
        }
    }
}
