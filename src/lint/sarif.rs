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
        // The deepest field of the path found in the document, each key looked for among the
        // children of the one before (by indentation) and each index among its items.
        let text = |l: usize| lines[l - 1].as_str();
        let mut at = start;
        // The lines (1-based, end excluded) of the object, then of each field found. An item
        // of a List (`- ` in YAML, `{` in JSON) ends where its indentation does.
        let first = text(start).trim_start();
        let object_end = if first.starts_with('{') || first.starts_with("- ") {
            let indent = |l: &str| l.len() - l.trim_start().len();
            (start + 1..end)
                .find(|&l| {
                    let t = text(l).trim_start();
                    !t.is_empty() && !t.starts_with('#') && indent(text(l)) <= indent(text(start))
                })
                .unwrap_or(end)
        } else {
            end
        };
        let (mut from, mut until) = (start, object_end);
        for step in path_steps(path) {
            let found = match step {
                Step::Key(key) => {
                    let keys =
                        || (from..until).filter_map(|l| key_line(text(l)).map(|(c, k)| (l, c, k)));
                    let Some(column) = keys().map(|(_, c, _)| c).min() else {
                        break;
                    };
                    keys()
                        .find(|&(_, c, k)| c == column && k == key)
                        .map(|(l, c, _)| (l, l + 1, block_end(lines, l, until, c)))
                }
                // JSON's `"containers": [{` opens the first item on the key's line.
                Step::Index(0) if text(at).trim_end().ends_with("[{") => Some((at, from, until)),
                Step::Index(i) => items(lines, from, until).and_then(|starts| {
                    let first = *starts.get(i)?;
                    let next = starts.get(i + 1).copied().unwrap_or(until);
                    Some((first, first, next))
                }),
            };
            match found {
                Some((line, inner_from, inner_until)) => {
                    at = line;
                    (from, until) = (inner_from, inner_until);
                }
                None => break,
            }
        }
        at
    }
}

/// A step of a finding's field path: a key, or an index into a list.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The steps of a finding's field path: `spec.ports[0].name` is `spec`, `ports`, 0, `name`;
/// a key with dots or other characters is quoted in brackets, `data["app.conf"]`.
fn path_steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix("[\"") {
            let Some(end) = quoted.find("\"]") else { break };
            out.push(Step::Key(&quoted[..end]));
            rest = &quoted[end + 2..];
        } else if let Some(index) = rest.strip_prefix('[') {
            let (n, r) = index.split_once(']').unwrap_or((index, ""));
            match n.parse() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => break,
            }
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Step::Key(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

/// The column and key of a line that starts a mapping entry (`key:`, `"key":`, `- key:`;
/// a list item's key is at the column after its `- `).
fn key_line(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start();
    let mut column = line.len() - trimmed.len();
    let mut t = trimmed;
    while let Some(r) = t.strip_prefix("- ") {
        let r2 = r.trim_start();
        column += t.len() - r2.len();
        t = r2;
    }
    for quote in ['"', '\''] {
        if let Some(r) = t.strip_prefix(quote) {
            let end = r.find(quote)?;
            return r[end + 1..].starts_with(':').then_some((column, &r[..end]));
        }
    }
    let end = t.find(':')?;
    let key = &t[..end];
    let rest = &t[end + 1..];
    let plain = !key.is_empty() && !key.contains([' ', '{', '[', ',', '#']);
    (plain && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some((column, key))
}

/// The column a line's content starts at, a list item's at the column after its `- `;
/// `None` for a blank or comment line.
fn content_column(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let indent = line.len() - trimmed.len();
    Some(match trimmed.strip_prefix('-') {
        Some(r) if r.is_empty() || r.starts_with(' ') => indent + 2,
        _ => indent,
    })
}

/// The line (1-based) after the field at line `at` (its key at `column`): the first later
/// line before `until` that is not deeper.
fn block_end(lines: &[String], at: usize, until: usize, column: usize) -> usize {
    (at + 1..until)
        .find(|&l| content_column(&lines[l - 1]).is_some_and(|c| c <= column))
        .unwrap_or(until)
}

/// The first line of each item of the list in lines `from..until`: YAML's `- ` entries at
/// the list's column, or JSON's `{` at one indentation; `None` when there are none.
fn items(lines: &[String], from: usize, until: usize) -> Option<Vec<usize>> {
    let opens = |l: &str| {
        let t = l.trim_start();
        t == "-" || t.starts_with("- ") || t.starts_with('{')
    };
    let indent = |l: &str| l.len() - l.trim_start().len();
    let column = (from..until)
        .map(|l| lines[l - 1].as_str())
        .filter(|l| opens(l))
        .map(indent)
        .min()?;
    Some(
        (from..until)
            .filter(|&l| opens(&lines[l - 1]) && indent(&lines[l - 1]) == column)
            .collect(),
    )
}

/// The first line (1-based) of every object in a manifest file, and its lines.
fn starts(text: &str) -> (Vec<usize>, Vec<String>) {
    let mut out = Vec::new();
    for (line, chunk) in split_documents(text) {
        let chunk = chunk.as_str();
        let first = chunk
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|p| line + p);
        let (items, list) = match super::manifests::parse_kube_yaml(chunk) {
            Ok(Json::Object(m)) if super::manifests::is_list(&m) => (
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
    use super::{key_line, path_steps, Step};

    #[test]
    fn path_steps_read_indexes_and_quoted_keys() {
        use Step::{Index as I, Key as K};
        assert_eq!(
            path_steps("spec.template.spec.containers[0].ports[1].name"),
            [
                K("spec"),
                K("template"),
                K("spec"),
                K("containers"),
                I(0),
                K("ports"),
                I(1),
                K("name")
            ]
        );
        assert_eq!(path_steps("data[\"..data\"]"), [K("data"), K("..data")]);
        assert_eq!(
            path_steps("binaryData[\"app.conf\"]"),
            [K("binaryData"), K("app.conf")]
        );
        assert_eq!(path_steps(""), []);
    }

    #[test]
    fn key_lines() {
        assert_eq!(key_line("  name: x"), Some((2, "name")));
        assert_eq!(key_line("  - name: x"), Some((4, "name")));
        assert_eq!(key_line("    \"spec\": {"), Some((4, "spec")));
        assert_eq!(key_line("  'a b': c"), Some((2, "a b")));
        assert_eq!(key_line("  - http://x:80"), None);
        assert_eq!(key_line("  image: a:1"), Some((2, "image")));
    }
}
