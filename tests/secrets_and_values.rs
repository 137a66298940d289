//! Issue 15, "Secrets and values": a secret value never reaches any output, whatever the
//! error (located by its place in the document, not by its text); `fromFile` stays in the
//! profile's folder; plain scalars keep their text where the target is text; the seed file's
//! line endings do not change generated values and `generate` is at least 16 characters;
//! control characters are reported at their profile line. Everything runs through the binary.

mod common;

use std::fs;
use std::path::Path;

use base64::Engine;
use common::{run, sts_gen, Run};

/// A secret that occurs nowhere else in any message, output or file of the crate.
const PW: &str = "hunter2-Zq9xKv";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

const HEAD: &str = "apiVersion: sts-gen/v1\nkind: Profile\nname: web\nimage: nginx:1.27\nports: [{name: web, port: 80}]\nstorage: {size: 1Gi}\n";

fn in_dir(dir: &Path, args: &[&str]) -> Run {
    let mut c = sts_gen();
    c.current_dir(dir).args(args);
    run(&mut c)
}

/// The run failed as bad input, printed nothing on stdout, and neither the secret nor its
/// base64 (nor the base64 of any prefix long enough to matter) appears on stderr.
fn assert_refused_without_secret(r: &Run, secret: &str) {
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert_eq!(r.stdout, "", "stdout must be empty on bad input");
    assert!(!r.stderr.is_empty());
    for needle in [secret.to_string(), b64(secret), secret[..6].to_string()] {
        assert!(
            !r.stderr.contains(&needle),
            "`{needle}` leaked in: {}",
            r.stderr
        );
    }
}

#[test]
fn a_secret_in_the_wrong_shape_is_located_but_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // A scalar where `{value: ...}` was meant.
        (format!("secret:\n  data:\n    password: {PW}\n"), "9:15"),
        // `{hunter2}` is a mapping whose only key is the value.
        (
            format!("secret:\n  data:\n    password: {{{PW}}}\n"),
            "9:15",
        ),
        // A YAML syntax error inside the value (bad escape, text after a quoted value).
        (
            format!("secret:\n  data:\n    password: {{value: \"{PW}\\q\"}}\n"),
            "9:",
        ),
        (
            format!("secret:\n  data:\n    password: {{value: {PW}: x}}\n"),
            "9:",
        ),
        // A duplicate key inside the value.
        (
            format!("secret:\n  data:\n    password: {{value: {{{PW}, {PW}}}}}\n"),
            "9:",
        ),
        // `secret.data` itself a scalar.
        (format!("secret:\n  data: {PW}\n"), "8:"),
    ];
    for (tail, at) in cases {
        fs::write(dir.path().join("p.yaml"), format!("{HEAD}{tail}")).unwrap();
        let r = in_dir(dir.path(), &["render", "p.yaml"]);
        assert_refused_without_secret(&r, PW);
        assert!(
            r.stderr.contains(&format!("p.yaml:{at}")),
            "not located at {at}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("secret.data"), "{}", r.stderr);
    }
}

#[test]
fn a_secret_given_with_set_is_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.yaml"), HEAD).unwrap();
    for args in [
        vec![
            "--set-string".to_string(),
            format!("secret.data.password={PW}"),
        ],
        vec!["--set".to_string(), format!("secret.data.password={PW}")],
        vec![
            "--set".to_string(),
            format!("secret.data.password.value=[{PW}"),
        ],
        vec![
            "--set".to_string(),
            format!("secret.data.password={{{PW}}}"),
        ],
        vec![
            "--set-string".to_string(),
            format!("secret.data.password.value:{PW}"),
        ],
    ] {
        let mut all = vec!["render", "p.yaml"];
        all.extend(args.iter().map(String::as_str));
        let r = in_dir(dir.path(), &all);
        assert_refused_without_secret(&r, PW);
        assert!(r.stderr.contains("--set"), "{}", r.stderr);
    }
}

#[test]
fn a_one_character_secret_does_not_garble_other_messages() {
    let dir = tempfile::tempdir().unwrap();
    // A secret `e` and an unrelated error: the message keeps every `e`.
    fs::write(
        dir.path().join("p.yaml"),
        format!(
            "{HEAD}secret:\n  data:\n    k: {{value: e}}\nenv:\n  A: {{secret: missing-key}}\n"
        ),
    )
    .unwrap();
    let r = in_dir(dir.path(), &["render", "p.yaml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("***"), "{}", r.stderr);
    assert!(r.stderr.contains("secret"), "{}", r.stderr);
    assert!(r.stderr.contains("missing-key"), "{}", r.stderr);
}

/// An error in `secret.files` is told as the text gives it with placeholders for the
/// values: a one-letter value does not star that letter across the message, and an error
/// only the real value causes is withheld.
#[test]
fn secret_file_errors_neither_quote_nor_garble() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.yaml"),
        format!(
            "{HEAD}secret:\n  data:\n    k: {{value: e}}\n    pw: {{value: {PW}}}\n  files:\n    a.conf: \"{{{{ secret.nope }}}}\"\n    b.conf: \"{{% if secret.pw == '{PW}' %}}{{{{ secret.pw + 1 }}}}{{% endif %}}\"\n"
        ),
    )
    .unwrap();
    let r = in_dir(dir.path(), &["render", "p.yaml"]);
    assert_refused_without_secret(&r, PW);
    assert!(!r.stderr.contains("***"), "{}", r.stderr);
    assert!(
        r.stderr.contains("secret.files[\"a.conf\"]: the `{{` at line 1, column 1 of the text uses a value that does not exist (`secret.<key>` names one of k, pw;"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("secret.files[\"b.conf\"]: the text fails only with the real secret values; the message is withheld"),
        "{}",
        r.stderr
    );
}

/// A templates folder with one extra template, `leak.yaml.j2`.
fn templates(dir: &Path, body: &str) -> String {
    let t = dir.join("tpl");
    fs::create_dir_all(&t).unwrap();
    fs::write(t.join("leak.yaml.j2"), body).unwrap();
    t.display().to_string()
}

#[test]
fn template_errors_never_quote_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.yaml"),
        format!("{HEAD}secret:\n  data:\n    password: {{value: {PW}}}\n    one: {{value: e}}\n"),
    )
    .unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata:\n";
    // Invalid YAML output: the error's source excerpt shows the line with the value.
    let t = templates(
        dir.path(),
        &format!("{cm}  a: {{{{ app.secret.data.password | tojson }}}}\n  b: [\n"),
    );
    let r = in_dir(dir.path(), &["render", "p.yaml", "--templates", &t]);
    assert_refused_without_secret(&r, PW);
    assert!(r.stderr.contains("leak.yaml.j2"), "{}", r.stderr);
    assert!(r.stderr.contains("unclosed bracket"), "{}", r.stderr);
    // A check error quoting the value it rejects (a name made of the secret).
    let t = templates(
        dir.path(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ app.secret.data.password | tojson }}}\n",
    );
    let r = in_dir(dir.path(), &["render", "p.yaml", "--templates", &t]);
    assert_refused_without_secret(&r, PW);
    assert!(r.stderr.contains("DNS-1123"), "{}", r.stderr);
    // A failure that only the real value causes: where, but not what.
    let t = templates(
        dir.path(),
        &format!(
            "{{% if app.secret.data.password == {:?} %}}{cm}  a: {{{{ app.secret.data.password | tojson }}}}\n  b: [\n{{% endif %}}\n",
            b64(PW)
        ),
    );
    let r = in_dir(dir.path(), &["render", "p.yaml", "--templates", &t]);
    assert_refused_without_secret(&r, PW);
    assert!(r.stderr.contains("leak.yaml.j2"), "{}", r.stderr);
    assert!(r.stderr.contains("not shown"), "{}", r.stderr);
}

#[test]
fn lint_never_quotes_secret_manifest_values() {
    let dir = tempfile::tempdir().unwrap();
    let head = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n";
    for (body, needle) in [
        (format!("data:\n  password: {PW}!\n"), "data.password"),
        (
            format!("stringData:\n  pin: 4{}\n", 8_315_907),
            "stringData.pin",
        ),
        (format!("stringData:\n  pw: [{PW}]\n"), "stringData.pw"),
        (format!("data: {PW}\n"), "data must be a mapping"),
        // Not YAML at all: no excerpt of the document.
        (format!("data:\n  password: \"{PW}\n"), "not YAML"),
    ] {
        fs::write(dir.path().join("s.yaml"), format!("{head}{body}")).unwrap();
        let r = in_dir(dir.path(), &["lint", "s.yaml"]);
        assert_ne!(r.code, 0, "{}", r.stdout);
        let all = format!("{}{}", r.stdout, r.stderr);
        for secret in [PW, "48315907", &PW[..6]] {
            assert!(!all.contains(secret), "`{secret}` leaked: {all}");
        }
        assert!(all.contains(needle), "`{needle}` missing: {all}");
    }
}

fn secret_from_file(dir: &Path, path: &str, extra: &[&str]) -> Run {
    fs::write(
        dir.join("app/p.yaml"),
        format!("{HEAD}secret:\n  data:\n    pw: {{fromFile: {path}}}\n"),
    )
    .unwrap();
    let mut args = vec!["render", "app/p.yaml", "-o", "json"];
    args.extend(extra);
    in_dir(dir, &args)
}

#[test]
fn from_file_stays_inside_the_profiles_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("app/certs")).unwrap();
    fs::create_dir_all(d.join("elsewhere")).unwrap();
    fs::write(d.join("app/certs/pw"), "inside").unwrap();
    fs::write(d.join("elsewhere/pw"), "outside").unwrap();
    std::os::unix::fs::symlink("../elsewhere/pw", d.join("app/out-link")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", d.join("app/out-dir")).unwrap();
    std::os::unix::fs::symlink("certs/pw", d.join("app/in-link")).unwrap();
    let outside = d.join("elsewhere/pw").display().to_string();
    for (path, why) in [
        (outside.as_str(), "absolute path"),
        ("../elsewhere/pw", "`..`"),
        ("certs/../../elsewhere/pw", "`..`"),
        ("out-link", "symbolic link"),
        ("out-dir/pw", "symbolic link"),
    ] {
        let r = secret_from_file(d, path, &[]);
        assert_eq!(r.code, 2, "{path}: {}", r.stderr);
        assert!(r.stderr.contains("app/p.yaml:9:"), "{}", r.stderr);
        assert!(r.stderr.contains("secret.data.pw"), "{}", r.stderr);
        assert!(r.stderr.contains(why), "{path}: {}", r.stderr);
        assert!(r.stderr.contains("--allow-outside-files"), "{}", r.stderr);
        // Opting in reads it.
        let r = secret_from_file(d, path, &["--allow-outside-files"]);
        assert_eq!(r.code, 0, "{path}: {}", r.stderr);
        assert!(r.stdout.contains(&b64("outside")), "{path}");
    }
    // Inside the folder, through a link or not, is fine.
    for path in ["certs/pw", "in-link"] {
        let r = secret_from_file(d, path, &[]);
        assert_eq!(r.code, 0, "{path}: {}", r.stderr);
        assert!(r.stdout.contains(&b64("inside")), "{path}");
    }
}

#[test]
fn plain_scalars_keep_their_text_in_environment_values() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.yaml"),
        format!("{HEAD}env: {{VERSION: 1.10, ZIP: 01234, HEX: 0x1F, EXP: 1e3, NEG: -0, BIG: 123456789012345678901234567890}}\n"),
    )
    .unwrap();
    let r = in_dir(
        dir.path(),
        &[
            "render",
            "p.yaml",
            "-o",
            "json",
            "--set",
            "env.PORT=08080",
            "--set",
            "env.RATIO=.50",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let sts = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "StatefulSet")
        .unwrap();
    let env = &sts["spec"]["template"]["spec"]["containers"][0]["env"];
    let value = |name: &str| {
        env.as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {env}"))["value"]
            .clone()
    };
    for (name, text) in [
        ("VERSION", "1.10"),
        ("ZIP", "01234"),
        ("HEX", "0x1F"),
        ("EXP", "1e3"),
        ("NEG", "-0"),
        ("BIG", "123456789012345678901234567890"),
        ("PORT", "08080"),
        ("RATIO", ".50"),
    ] {
        assert_eq!(value(name), text, "{name}");
    }
}

fn render_with_seed(dir: &Path, seed: &[u8]) -> Run {
    fs::write(dir.join("seed"), seed).unwrap();
    let mut c = sts_gen();
    c.current_dir(dir)
        .env_remove("STS_GEN_SECRET_SEED")
        .env_remove("STS_GEN_SECRET_SEED_FILE")
        .args(["render", "p.yaml", "--secret-seed-file", "seed"]);
    run(&mut c)
}

#[test]
fn seed_line_endings_do_not_change_generated_values() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.yaml"),
        format!("{HEAD}secret:\n  data:\n    pw: {{generate: 24}}\n"),
    )
    .unwrap();
    let seed = b"0123456789abcdefghij-seed";
    let bare = render_with_seed(dir.path(), seed);
    assert_eq!(bare.code, 0, "{}", bare.stderr);
    assert!(bare.stdout.contains("pw: "));
    for ending in [&b"\n"[..], b"\r\n", b"\n\n", b"\r\n\r\n"] {
        let r = render_with_seed(dir.path(), &[&seed[..], ending].concat());
        assert_eq!(r.stdout, bare.stdout, "ending {ending:?}");
    }
    // A different seed does give other values (the comparison above can fail).
    let other = render_with_seed(dir.path(), b"0123456789abcdefghij-SEED");
    assert_ne!(other.stdout, bare.stdout);
}

#[test]
fn generate_below_16_characters_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    for (len, ok) in [
        (1, false),
        (15, false),
        (16, true),
        (1024, true),
        (1025, false),
    ] {
        fs::write(
            dir.path().join("p.yaml"),
            format!("{HEAD}secret:\n  data:\n    pw: {{generate: {len}}}\n"),
        )
        .unwrap();
        let r = render_with_seed(dir.path(), b"0123456789abcdefghij-seed");
        if ok {
            assert_eq!(r.code, 0, "{len}: {}", r.stderr);
        } else {
            assert_eq!(r.code, 2, "{len}");
            assert!(
                r.stderr.contains("p.yaml:9:") && r.stderr.contains("secret.data.pw.generate"),
                "{len}: {}",
                r.stderr
            );
            assert!(r.stderr.contains("from 16 to 1024"), "{}", r.stderr);
        }
    }
}

#[test]
fn control_characters_are_reported_at_the_profile_line() {
    let dir = tempfile::tempdir().unwrap();
    for (c, name) in [
        ('\u{7f}', "DEL U+007F"),
        ('\u{80}', "U+0080"),
        ('\u{9f}', "U+009F"),
        ('\u{fffe}', "U+FFFE"),
        ('\u{ffff}', "U+FFFF"),
    ] {
        let escaped = format!("\\u{:04X}", c as u32);
        for (tail, path, line) in [
            (format!("env:\n  A: \"x{escaped}y\"\n"), "env.A", 8),
            (
                format!("labels:\n  team: \"a{escaped}\"\n"),
                "labels.team",
                8,
            ),
            (
                format!("config:\n  mountPath: /etc/x\n  files:\n    a.conf: \"k={escaped}\"\n"),
                "config.files[\"a.conf\"]",
                10,
            ),
            (format!("args: [ok, \"{escaped}\"]\n"), "args[1]", 7),
        ] {
            fs::write(dir.path().join("p.yaml"), format!("{HEAD}{tail}")).unwrap();
            let r = in_dir(dir.path(), &["render", "p.yaml"]);
            assert_eq!(r.code, 2, "{name} {path}: {}", r.stderr);
            assert_eq!(r.stdout, "");
            assert!(
                r.stderr.contains(&format!("p.yaml:{line}:")),
                "{name} {path}: {}",
                r.stderr
            );
            assert!(r.stderr.contains(path), "{name} {path}: {}", r.stderr);
            assert!(r.stderr.contains(name), "{name} {path}: {}", r.stderr);
            assert!(
                !r.stderr.contains(".j2"),
                "blamed on a template: {}",
                r.stderr
            );
        }
        // Also when it comes from --set-string.
        fs::write(dir.path().join("p.yaml"), HEAD).unwrap();
        let r = in_dir(
            dir.path(),
            &["render", "p.yaml", "--set-string", &format!("env.B=x{c}")],
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains("env.B") && r.stderr.contains(name),
            "{}",
            r.stderr
        );
    }
    // A secret value may hold any character: it is base64-encoded.
    fs::write(
        dir.path().join("p.yaml"),
        format!("{HEAD}secret:\n  data:\n    pw: {{value: \"a\\u007Fb\\u0090\"}}\n"),
    )
    .unwrap();
    let r = in_dir(dir.path(), &["render", "p.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
