//! The README's example output is the real output, so it cannot go stale.

use std::path::Path;

#[test]
fn readme_example_matches_the_render() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let profile = std::fs::read_to_string(root.join("examples/minimal.yaml")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{profile}```")),
        "README shows examples/minimal.yaml verbatim"
    );
    let marker = "`sts-gen render examples/minimal.yaml`:\n\n```yaml\n";
    let start = readme.find(marker).expect("README has the example output") + marker.len();
    let end = start + readme[start..].find("```\n").unwrap();
    let out = assert_cmd::Command::cargo_bin("sts-gen")
        .unwrap()
        .current_dir(root)
        .args(["render", "examples/minimal.yaml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(&readme[start..end], String::from_utf8(out.stdout).unwrap());
}
