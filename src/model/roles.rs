//! Roles chosen by pod ordinal: range parsing, overlap and coverage, and the generated
//! shell that picks a role at pod start.

use std::fmt::Write;

use crate::shared::error::{ErrorKind, LoadError};

/// One range of ordinals: `start..=end`, or `start..` when `end` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrdinalRange {
    /// The first ordinal.
    pub start: u32,
    /// The last ordinal; None: no end (`3-`).
    pub end: Option<u32>,
}

impl OrdinalRange {
    fn contains(&self, i: u32) -> bool {
        i >= self.start && self.end.is_none_or(|e| i <= e)
    }

    fn overlap(&self, other: &OrdinalRange) -> Option<u32> {
        let start = self.start.max(other.start);
        let fits = |r: &OrdinalRange| r.end.is_none_or(|e| start <= e);
        (fits(self) && fits(other)).then_some(start)
    }
}

/// Parses `"0"`, `"1-"`, `"0-2"`, `"0,2,4"` and combinations such as `"0,3-5,7-"`.
pub fn parse_ordinals(spec: &str) -> Result<Vec<OrdinalRange>, LoadError> {
    let invalid = |message: String| LoadError::of(ErrorKind::Value, message);
    let bad = |part: &str| {
        invalid(format!(
            "`{part}` is not an ordinal range; write a number (\"0\"), a range (\"0-2\"), an open range (\"1-\") or a comma list (\"0,2,4\")"
        ))
    };
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut ranges = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        let range = match part.split_once('-') {
            None => {
                let n = num(part).ok_or_else(|| bad(part))?;
                OrdinalRange {
                    start: n,
                    end: Some(n),
                }
            }
            Some((a, "")) => OrdinalRange {
                start: num(a).ok_or_else(|| bad(part))?,
                end: None,
            },
            Some((a, b)) => {
                let (a, b) = (
                    num(a).ok_or_else(|| bad(part))?,
                    num(b).ok_or_else(|| bad(part))?,
                );
                if b < a {
                    return Err(invalid(format!("`{part}` ends before it starts")));
                }
                OrdinalRange {
                    start: a,
                    end: Some(b),
                }
            }
        };
        ranges.push(range);
    }
    Ok(ranges)
}

/// Checks that the roles' ranges never overlap and cover every ordinal, also after the
/// StatefulSet is scaled: exactly one open-ended range and no gap below it.
/// `roles` is `(role name, ranges)`; an error's path is the `roles[i].ordinals` it concerns.
pub fn check_cover(roles: &[(&str, Vec<OrdinalRange>)]) -> Result<(), LoadError> {
    let at = |i: usize, message: String| {
        LoadError::of(ErrorKind::Value, message).with_path(format!("roles[{i}].ordinals"))
    };
    for (i, (name_a, ranges_a)) in roles.iter().enumerate() {
        for (j, (name_b, ranges_b)) in roles.iter().enumerate().skip(i) {
            for (ai, a) in ranges_a.iter().enumerate() {
                for (bi, b) in ranges_b.iter().enumerate() {
                    if i == j && bi <= ai {
                        continue;
                    }
                    if let Some(o) = a.overlap(b) {
                        let msg = if i == j {
                            format!("ordinal {o} is listed twice in role `{name_a}`")
                        } else {
                            format!(
                                "ranges overlap: ordinal {o} is in both `{name_a}` and `{name_b}`"
                            )
                        };
                        return Err(at(j, msg));
                    }
                }
            }
        }
    }
    let all: Vec<_> = roles.iter().flat_map(|(_, r)| r.iter().copied()).collect();
    let Some(open) = all.iter().find(|r| r.end.is_none()) else {
        let max = all.iter().filter_map(|r| r.end).max().unwrap_or(0);
        return Err(at(
            roles.len().saturating_sub(1),
            format!(
                "ordinals above {max} have no role, so `kubectl scale` beyond {} replicas would start pods without one; end one range open, e.g. \"{}-\"",
                max + 1,
                max + 1
            ),
        ));
    };
    if let Some(gap) = (0..open.start).find(|i| !all.iter().any(|r| r.contains(*i))) {
        return Err(at(0, format!("ordinal {gap} has no role")));
    }
    Ok(())
}

/// Quotes a string for a POSIX shell.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A role as the generated shell needs it.
pub struct ShellRole<'a> {
    /// The role's name.
    pub name: &'a str,
    /// The ordinals that take the role.
    pub ranges: &'a [OrdinalRange],
    /// `(configmap item path under the source dir, file name in the config dir)`.
    pub files: Vec<(String, &'a str)>,
}

/// Directory the ConfigMap is mounted at inside the role init container.
pub const SOURCE_DIR: &str = "/sts-gen/source";
/// Files written next to the config files so the app can read its identity.
pub const ORDINAL_FILE: &str = "pod-ordinal";
/// The file the role init container writes the pod's role name to.
pub const ROLE_FILE: &str = "pod-role";

/// Generates the role init script. It reads the ordinal from the pod name (so it works for
/// any ordinal after `kubectl scale`), picks the role, copies shared and role files into
/// `$CONFIG_DIR`, writes the ordinal and role files, then runs the user's script.
///
/// The source folder can be overridden with `STS_GEN_SOURCE_DIR`, which lets tests run the
/// script under `sh` against a temporary folder.
pub fn init_script(
    shared: &[(String, &str)],
    roles: &[ShellRole],
    user_script: Option<&str>,
) -> String {
    let mut s = String::new();
    s.push_str("set -eu\n");
    s.push_str("POD_NAME=\"${POD_NAME:-$(hostname)}\"\n");
    s.push_str("ORDINAL=\"${POD_NAME##*-}\"\n");
    s.push_str("case \"$ORDINAL\" in\n  ''|*[!0-9]*) echo \"sts-gen role init: cannot read an ordinal from pod name $POD_NAME\" >&2; exit 1 ;;\nesac\n");
    let _ = writeln!(s, "SRC=\"${{STS_GEN_SOURCE_DIR:-{SOURCE_DIR}}}\"");
    s.push_str("mkdir -p \"$CONFIG_DIR\"\n");
    for (item, file) in shared {
        let _ = writeln!(
            s,
            "cp \"$SRC\"/{} \"$CONFIG_DIR\"/{}",
            sh_quote(item),
            sh_quote(file)
        );
    }
    if roles.is_empty() {
        s.push_str("ROLE=\"\"\n");
    } else {
        for (i, role) in roles.iter().enumerate() {
            let cond = role
                .ranges
                .iter()
                .map(|r| match r.end {
                    Some(e) if e == r.start => format!("[ \"$ORDINAL\" -eq {e} ]"),
                    Some(e) => format!(
                        "{{ [ \"$ORDINAL\" -ge {} ] && [ \"$ORDINAL\" -le {e} ]; }}",
                        r.start
                    ),
                    None => format!("[ \"$ORDINAL\" -ge {} ]", r.start),
                })
                .collect::<Vec<_>>()
                .join(" || ");
            let kw = if i == 0 { "if" } else { "elif" };
            let _ = writeln!(s, "{kw} {cond}; then\n  ROLE={}", sh_quote(role.name));
            for (item, file) in &role.files {
                let _ = writeln!(
                    s,
                    "  cp \"$SRC\"/{} \"$CONFIG_DIR\"/{}",
                    sh_quote(item),
                    sh_quote(file)
                );
            }
        }
        s.push_str(
            "else\n  echo \"sts-gen role init: no role for ordinal $ORDINAL\" >&2; exit 1\nfi\n",
        );
    }
    let _ = writeln!(
        s,
        "printf '%s\\n' \"$ORDINAL\" > \"$CONFIG_DIR\"/{ORDINAL_FILE}"
    );
    let _ = writeln!(s, "printf '%s\\n' \"$ROLE\" > \"$CONFIG_DIR\"/{ROLE_FILE}");
    s.push_str("export POD_NAME ORDINAL ROLE CONFIG_DIR\n");
    if let Some(script) = user_script.filter(|t| !t.trim().is_empty()) {
        s.push_str("# roleInit.script\n");
        s.push_str(script);
        if !script.ends_with('\n') {
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(spec: &str) -> Vec<OrdinalRange> {
        parse_ordinals(spec).unwrap()
    }

    #[test]
    fn parses_specs() {
        assert_eq!(
            r("0"),
            vec![OrdinalRange {
                start: 0,
                end: Some(0)
            }]
        );
        assert_eq!(
            r("1-"),
            vec![OrdinalRange {
                start: 1,
                end: None
            }]
        );
        assert_eq!(r("0,2-3").len(), 2);
        for bad in ["", "a", "-1", "3-1", "1--", "1,,2", " - "] {
            assert!(parse_ordinals(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cover_rules() {
        assert!(check_cover(&[("p", r("0")), ("r", r("1-"))]).is_ok());
        assert!(check_cover(&[("a", r("0,2")), ("b", r("1,3-"))]).is_ok());
        let e = check_cover(&[("p", r("0-2")), ("r", r("2-"))]).unwrap_err();
        assert!(
            e.message.contains("ordinal 2 is in both `p` and `r`"),
            "{e}"
        );
        assert_eq!(e.path, "roles[1].ordinals");
        let e = check_cover(&[("p", r("0")), ("r", r("1-2"))]).unwrap_err();
        assert!(e.message.contains("above 2"), "{e}");
        let e = check_cover(&[("p", r("0")), ("r", r("2-"))]).unwrap_err();
        assert!(e.message.contains("ordinal 1 has no role"), "{e}");
        assert_eq!(e.path, "roles[0].ordinals");
        let e = check_cover(&[("p", r("1-")), ("r", r("3-"))]).unwrap_err();
        assert!(e.message.contains("overlap"), "{e}");
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }
}
