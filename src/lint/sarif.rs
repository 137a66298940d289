//! The report as SARIF 2.1.0, the format GitHub code scanning reads: one run of the tool
//! `sts-gen` with every rule's metadata (what it checks, the fix, its Checkov, Trivy and
//! kube-linter counterparts), and a result per finding at the line of the manifest it is in.

use std::collections::HashMap;

use serde_json::{json, Value as Json};

use super::equivalents::equivalents;
use super::manifests::split_documents;
use super::report::{Finding, Report};
use super::{Rule, Severity, RULES};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The report as a SARIF log. `input` is what was linted (a file or folder; `-` for
/// standard input): the location of findings on objects rendered from a profile, which have
/// no file of their own. `text_of` reads a manifest file for line numbers (None: unreadable).
pub fn to_sarif(
    report: &Report,
    input: &str,
    version: &str,
    text_of: &dyn Fn(&str) -> Option<String>,
) -> String {
    let rules: Vec<Json> = RULES.iter().map(rule_json).collect();
    let mut lines = Lines {
        text_of,
        starts: HashMap::new(),
    };
    let mut results: Vec<Json> = report
        .findings
        .iter()
        .map(|f| result(f, input, &mut lines, None))
        .collect();
    results.extend(
        report
            .suppressed
            .iter()
            .map(|s| result(&s.finding, input, &mut lines, Some(&s.reason))),
    );
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sts-gen",
                "version": version,
                "informationUri": "https://sts-gen.dev/",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("a log serializes") + "\n"
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

fn rule_json(r: &Rule) -> Json {
    let (checkov, trivy, kube_linter) = equivalents(r.id);
    let mut help = format!("Fix: {}.", r.fix);
    for (tool, ids) in [
        ("Checkov", checkov),
        ("Trivy", trivy),
        ("kube-linter", kube_linter),
    ] {
        if !ids.is_empty() {
            help.push_str(&format!(" {tool}: {}.", ids.join(", ")));
        }
    }
    json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": {"text": r.checks},
        "fullDescription": {"text": r.checks},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "tags": ["kubernetes", "security"],
            "checkov": checkov,
            "trivy": trivy,
            "kube-linter": kube_linter,
        },
    })
}

fn result(f: &Finding, input: &str, lines: &mut Lines, suppressed: Option<&str>) -> Json {
    // Manifests are named `<file>#<n>`; objects rendered from a profile by their template.
    let (uri, line) = match f.source.rsplit_once('#') {
        Some((file, n)) if n.parse::<usize>().is_ok() => {
            let n: usize = n.parse().unwrap_or(1);
            (file.to_string(), lines.line(file, n, &f.path))
        }
        _ => (input.to_string(), 1),
    };
    let uri = if uri == "-" || uri == "<stdin>" {
        "stdin".to_string()
    } else {
        uri.replace(' ', "%20")
    };
    let object = match &f.namespace {
        Some(ns) => format!("{}/{ns}/{}", f.kind, f.name),
        None => format!("{}/{}", f.kind, f.name),
    };
    let mut r = json!({
        "ruleId": f.rule,
        "ruleIndex": RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
        "level": level(f.severity),
        "message": {"text": format!("{object} {}: {} (fix: {})", f.path, f.message, f.fix)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": line},
            },
            "logicalLocations": [{
                "name": f.path,
                "fullyQualifiedName": format!("{object}:{}", f.path),
                "kind": "object",
            }],
        }],
    });
    if let Some(reason) = suppressed {
        r["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
    }
    r
}

/// The first line (1-based) of each object in a file, and the file's lines.
type Starts = (Vec<usize>, Vec<String>);

/// Line numbers of documents in manifest files, read once per file.
struct Lines<'a> {
    text_of: &'a dyn Fn(&str) -> Option<String>,
    /// Per file: (first line of each object, the file's lines); None when unreadable.
    starts: HashMap<String, Option<Starts>>,
}

impl Lines<'_> {
    /// The line of object `n` (1-based, counted as `parse_manifests` counts them) in `file`,
    /// moved to the line of the field `path` names when that key is found in the object's
    /// document; 1 when the file cannot be read.
    fn line(&mut self, file: &str, n: usize, path: &str) -> usize {
        let text_of = self.text_of;
        let entry = self
            .starts
            .entry(file.to_string())
            .or_insert_with(|| text_of(file).map(|t| starts(&t)));
        let Some((starts, lines)) = entry else {
            return 1;
        };
        let Some(&start) = starts.get(n - 1) else {
            return 1;
        };
        let end = starts
            .iter()
            .copied()
            .find(|&s| s > start)
            .unwrap_or(lines.len() + 1);
        // The deepest key of the path that appears in the document, searched in order.
        let mut at = start;
        for key in path_keys(path) {
            let found = (at..end).find(|&l| {
                let t = lines[l - 1].trim_start().trim_start_matches("- ");
                [
                    format!("{key}:"),
                    format!("\"{key}\":"),
                    format!("'{key}':"),
                ]
                .iter()
                .any(|k| t.starts_with(k.as_str()))
            });
            match found {
                Some(l) => at = l,
                None => break,
            }
        }
        at
    }
}

/// The keys of a finding's field path: `spec.ports[0].name` is `spec`, `ports`, `name`; a key
/// with dots or other characters is quoted in brackets, `data["app.conf"]` (`data`, `app.conf`).
fn path_keys(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix("[\"") {
            let Some(end) = quoted.find("\"]") else { break };
            out.push(&quoted[..end]);
            rest = &quoted[end + 2..];
        } else if let Some(index) = rest.strip_prefix('[') {
            rest = index.split_once(']').map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

/// The first line (1-based) of every object in a manifest file, and its lines.
fn starts(text: &str) -> (Vec<usize>, Vec<String>) {
    let mut out = Vec::new();
    let mut line = 1;
    for (i, chunk) in split_documents(text).iter().enumerate() {
        // A separator line precedes every chunk but the first.
        if i > 0 {
            line += 1;
        }
        let first = chunk
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|p| line + p);
        let (items, list) = match super::manifests::parse_kube_yaml(chunk) {
            Ok(Json::Object(m)) if m.get("kind").and_then(Json::as_str) == Some("List") => (
                m.get("items").and_then(Json::as_array).map_or(0, Vec::len),
                true,
            ),
            Ok(Json::Object(_)) => (1, false),
            _ => (0, false),
        };
        if let Some(first) = first {
            match list.then(|| list_item_lines(chunk, items)).flatten() {
                Some(item_lines) => out.extend(item_lines.into_iter().map(|l| line + l)),
                None => out.extend(std::iter::repeat_n(first, items)),
            }
        }
        line += chunk.lines().count();
    }
    (out, text.lines().map(String::from).collect())
}

/// The line (0-based in `chunk`) where each of a List's `count` items starts: the entries
/// under `items` at one indentation, `- ` in YAML or `{` in JSON as `kubectl get -o json`
/// writes it. `None` when they cannot be told apart that way.
fn list_item_lines(chunk: &str, count: usize) -> Option<Vec<usize>> {
    let lines: Vec<&str> = chunk.lines().collect();
    // The List's own `items` key: the least indented one (an item's volume has `items` too).
    let key = (0..lines.len())
        .filter(|&i| {
            let t = lines[i].trim_start();
            t.starts_with("items:") || t.starts_with("\"items\":")
        })
        .min_by_key(|&i| lines[i].len() - lines[i].trim_start().len())?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let opens = |l: &str| {
        let t = l.trim_start();
        t.starts_with("- ") || t == "-" || t == "{"
    };
    let first = (key + 1..lines.len()).find(|&i| opens(lines[i]))?;
    let (column, token) = (
        indent(lines[first]),
        lines[first].trim_start().starts_with('{'),
    );
    let found: Vec<usize> = (first..lines.len())
        .filter(|&i| {
            indent(lines[i]) == column
                && opens(lines[i])
                && lines[i].trim_start().starts_with('{') == token
        })
        .collect();
    (found.len() == count).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::path_keys;

    #[test]
    fn path_keys_read_quoted_keys_whole() {
        assert_eq!(
            path_keys("spec.template.spec.containers[0].ports[1].name"),
            ["spec", "template", "spec", "containers", "ports", "name"]
        );
        assert_eq!(path_keys("data[\"..data\"]"), ["data", "..data"]);
        assert_eq!(
            path_keys("binaryData[\"app.conf\"]"),
            ["binaryData", "app.conf"]
        );
        assert_eq!(path_keys(""), Vec::<&str>::new());
    }
}
