//! Issue 16: an error inside a profile text written as a `|` block (a config file) names the
//! profile's own line and column; where the text's lines are not the file's (folded or
//! quoted), the block's start and the line of the text.

use std::process::{Command, Stdio};

fn render(profile: &str) -> (Option<i32>, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.yaml");
    std::fs::write(&path, profile).unwrap();
    let o = Command::new(assert_cmd::cargo::cargo_bin("sts-gen"))
        .env_remove("STS_GEN_TEMPLATES")
        .args(["render", path.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).replace(path.to_str().unwrap(), "p.yaml");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        err,
    )
}

/// A web profile whose config file `app.conf` is `header` followed by `lines` (indented by
/// 6); returns it with the 1-based file line of the block's first content line.
fn profile(header: &str, lines: &[&str]) -> (String, usize) {
    let mut text = String::from(
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: web\nname: web\n# a comment\nconfig:\n  files:\n",
    );
    text.push_str(&format!("    app.conf: {header}\n"));
    let first = text.lines().count() + 1;
    for l in lines {
        text.push_str(&format!("      {l}\n"));
    }
    (text, first)
}

#[test]
fn an_error_on_a_literal_blocks_third_line_is_reported_at_that_file_line() {
    // The bad part and its column in the text's third line.
    for (bad, col) in [
        ("port {{ 1 + }}", 6),
        ("{% if %}", 1),
        ("len=${#VAR}", 5),
        ("  x {{ name ", 5),
        // The engine gives no position for an unknown variable: found in the tags.
        ("a={{ sets.x.nme }} {{ nme | upper }}", 23),
        ("{% for n in range(nme) %}{% endfor %}", 19),
    ] {
        for header in ["|", "|-", "|+"] {
            let (text, first) = profile(header, &["[server]", "name {{ name }}", bad, "end"]);
            let (code, out, err) = render(&text);
            assert_eq!(code, Some(2), "{err}");
            assert_eq!(out, "");
            let at = format!(
                "p.yaml:{}:{}: config.files[\"app.conf\"]",
                first + 2,
                6 + col
            );
            assert!(err.contains(&at), "{bad:?} {header}: want {at} in {err}");
            assert!(!err.contains("of the text"), "{err}");
        }
    }
}

#[test]
fn where_the_texts_lines_are_not_the_files_the_block_start_and_text_line_are_named() {
    // Folded: lines join; a leading empty line moves the block's position off line one.
    for (header, lines, text_line) in [
        (">", vec!["[server]", "", "x ${#VAR}"], 2),
        ("|", vec!["", "[server]", "x ${#VAR}"], 3),
    ] {
        let (text, first) = profile(header, &lines);
        let (code, _, err) = render(&text);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!("line {text_line}, column 3 of the text")),
            "{header}: {err}"
        );
        let start = if lines[0].is_empty() {
            first + 1
        } else {
            first
        };
        assert!(err.contains(&format!("p.yaml:{start}:")), "{header}: {err}");
    }
    // Quoted, on one file line.
    let text = "apiVersion: sts-gen/v1\nkind: Profile\npreset: web\nname: web\nconfig:\n  files:\n    app.conf: \"a\\nb\\nx ${#VAR}\\n\"\n";
    let (code, _, err) = render(text);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("p.yaml:7:15:"), "{err}");
    assert!(err.contains("line 3, column 3 of the text"), "{err}");
}
