//! Whole-template guards: `{% if EXPR %} … {% endif %}` around everything a template writes.
//!
//! Most bundled templates render one optional feature (backup, metrics, TLS, RBAC) and are
//! nothing but such a block. Evaluating `EXPR` alone tells whether the template writes
//! anything, so the template is compiled only when it does: a mysql render compiled five
//! templates it then rendered to nothing, 4% of its instructions. Compiling the guards
//! themselves cost half of that, so the plain ones (attribute paths joined by `and`, what
//! the bundled templates use) are looked up directly ([`Guard`]).

use minijinja::Value;

/// A whole-body guard of the form `app.a.b and app.c`: the paths of a conjunction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Guard(Vec<Vec<&'static str>>);

impl Guard {
    /// The guard `expr` if it is attribute paths joined by `and`; `None` otherwise.
    pub(super) fn parse(expr: &'static str) -> Option<Guard> {
        let words: Vec<&str> = expr.split_whitespace().collect();
        let mut paths = Vec::new();
        for (i, word) in words.iter().enumerate() {
            if i % 2 == 1 {
                if *word != "and" {
                    return None;
                }
                continue;
            }
            let path: Vec<&str> = word.split('.').collect();
            // A path from a variable of the context (`app.x`), never a bare name: that may
            // be a global (`range`) or a literal (`none`).
            if path.len() < 2 || !path.iter().all(|p| is_identifier(p)) {
                return None;
            }
            paths.push(path);
        }
        (words.len() % 2 == 1).then_some(Guard(paths))
    }

    /// Whether the guard is false for `ctx`, so the template writes nothing. `false` when it
    /// is true, and when minijinja would fail on it (an attribute of an undefined value):
    /// the template is then rendered and reports that.
    pub(super) fn is_false(&self, ctx: &Value) -> bool {
        for path in &self.0 {
            let mut value = match ctx.get_attr(path[0]) {
                Ok(v) if !v.is_undefined() => v,
                _ => return false,
            };
            for key in &path[1..] {
                if value.is_undefined() {
                    return false;
                }
                value = match value.get_attr(key) {
                    Ok(v) => v,
                    Err(_) => return false,
                };
            }
            // `and` stops at the first false term.
            if !value.is_true() {
                return true;
            }
        }
        false
    }
}

fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::Guard;
    use minijinja::{context, Environment};

    #[test]
    fn plain_guards_agree_with_minijinja() {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        let apps = [
            context! { app => context! {} },
            context! { app => context! { a => true, b => context! { c => 1 } } },
            context! { app => context! { a => 0, b => context! { c => "" } } },
            context! { app => context! { a => vec![1], b => context! {} } },
            context! { app => context! { a => Vec::<i32>::new(), b => () } },
            context! { app => context! { a => "x", b => context! { c => context! { d => 1 } } } },
        ];
        for expr in [
            "app.a",
            "app.b.c",
            "app.a and app.b.c",
            "app.b and app.b.c",
            "app.b.c.d",
            "app.x.y",
        ] {
            let guard = Guard::parse(expr).unwrap();
            for ctx in &apps {
                let said = guard.is_false(ctx);
                match env.compile_expression(expr).unwrap().eval(ctx) {
                    Ok(v) => assert_eq!(said, !v.is_true(), "{expr} in {ctx}"),
                    // minijinja fails: the guard must not skip the template.
                    Err(_) => assert!(!said, "{expr} in {ctx}"),
                }
            }
        }
        for expr in [
            "app",
            "none",
            "app.a or app.b",
            "not app.a",
            "app.a and",
            "app.a == 1",
            "app[\"a\"]",
            "range.x and",
        ] {
            assert_eq!(Guard::parse(expr), None, "{expr}");
        }
    }

    #[test]
    fn bundled_templates() {
        let guarded: Vec<&str> = crate::render::BUNDLED_TEMPLATES
            .iter()
            .filter(|(_, source, guard)| {
                assert_eq!(*guard, crate::render::guard_scan::whole_body_guard(source));
                guard.is_some()
            })
            .map(|(name, ..)| *name)
            .collect();
        // The templates that write something for every profile, or per list entry, have none.
        for name in [
            "persistentvolume.yaml.j2",
            "service.yaml.j2",
            "serviceaccount.yaml.j2",
            "statefulset.yaml.j2",
        ] {
            assert!(!guarded.contains(&name), "{name}");
        }
        for name in [
            "backup.yaml.j2",
            "certificate.yaml.j2",
            "externalsecret.yaml.j2",
            "metrics.yaml.j2",
            "rbac.yaml.j2",
        ] {
            assert!(guarded.contains(&name), "{name}");
        }
        // Every bundled guard is one the renderer looks up without minijinja.
        for (name, _, guard) in crate::render::BUNDLED_TEMPLATES {
            if let Some(expr) = guard {
                assert!(Guard::parse(expr).is_some(), "{name}: {expr}");
            }
        }
    }
}
