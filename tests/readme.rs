//! The README's example and docs/EXAMPLE.md are the real output, so they cannot go stale.

use std::path::Path;

fn render_minimal(root: &Path) -> String {
    let out = assert_cmd::Command::cargo_bin("sts-gen")
        .unwrap()
        .current_dir(root)
        .args(["render", "examples/minimal.yaml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The text of the first ```yaml block after `marker`.
fn yaml_block_after<'a>(doc: &'a str, marker: &str) -> &'a str {
    let fence = "```yaml\n";
    let at = doc.find(marker).expect("the document has the marker") + marker.len();
    let start = at + doc[at..].find(fence).expect("a yaml block follows") + fence.len();
    let end = start + doc[start..].find("```\n").unwrap();
    &doc[start..end]
}

#[test]
fn readme_example_is_an_excerpt_of_the_render() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let profile = std::fs::read_to_string(root.join("examples/minimal.yaml")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{profile}```")),
        "README shows examples/minimal.yaml verbatim"
    );
    let excerpt = yaml_block_after(&readme, "`sts-gen render examples/minimal.yaml`");
    assert!(excerpt.lines().count() >= 30, "a real excerpt, not a line");
    let rendered = render_minimal(root);
    // Whole lines, in order, with nothing left out in between.
    assert!(
        rendered.starts_with(excerpt) || rendered.contains(&format!("\n{excerpt}")),
        "the README's excerpt is a run of whole lines of the render:\n{excerpt}"
    );
}

#[test]
fn example_page_shows_the_whole_render() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/EXAMPLE.md")).unwrap();
    let profile = std::fs::read_to_string(root.join("examples/minimal.yaml")).unwrap();
    assert!(page.contains(&format!("```yaml\n{profile}```")));
    let shown = yaml_block_after(&page, "`sts-gen render examples/minimal.yaml`");
    assert_eq!(shown, render_minimal(root));
}

#[test]
fn readme_says_what_is_guaranteed_and_what_is_not_and_stays_short() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.lines().count() < 250, "README over 250 lines");
    let at = readme
        .find("\n## Reliability\n")
        .expect("a Reliability section");
    let section = &readme[at + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    for needle in [
        "Guaranteed",
        "Not guaranteed",
        "network file systems",
        "lock",
        "secret values",
        "fromFile",
        "docs/GITOPS.md#reliability",
    ] {
        assert!(
            section.contains(needle),
            "Reliability lacks `{needle}`:\n{section}"
        );
    }
    // The section it links to exists.
    let gitops = std::fs::read_to_string(root.join("docs/GITOPS.md")).unwrap();
    assert!(gitops.contains("\n## Reliability\n"));
}

/// The README's `plan` block is the whole output of `sts-gen plan profiles/mysql.yaml`.
#[test]
fn readme_plan_is_the_real_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let marker = "sts-gen plan profiles/mysql.yaml`):\n\n```text\n";
    let start = readme.find(marker).expect("the README shows the plan") + marker.len();
    let shown = &readme[start..start + readme[start..].find("```\n").unwrap()];
    let out = assert_cmd::Command::cargo_bin("sts-gen")
        .unwrap()
        .current_dir(root)
        .env("MYSQL_ROOT_PASSWORD", "readme")
        .args(["plan", "profiles/mysql.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.contains("clone from mysql-0"),
        "a real plan, with peers"
    );
    assert_eq!(shown, String::from_utf8(out.stdout).unwrap());
}
