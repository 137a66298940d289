//! Text variables: `{{ name }}`, `{{ headless }}`, `{{ replicas }}`, ... in profile text
//! (config files, env values, names, raw objects), expanded with minijinja.

use indexmap::IndexMap;

use super::errors::Errors;
use crate::shared::error::{ErrorKind, LoadError};

/// Variables profile text may use, and the minijinja functions worth keeping (a peer list
/// can be written with `range(replicas)`).
const TEXT_VARIABLES: &[&str] = &[
    "name",
    "namespace",
    "headless",
    "replicas",
    "clusterDomain",
    "cluster",
    "sets",
    "secretName",
    "image",
];
const TEXT_FUNCTIONS: &[&str] = &["range", "dict"];

/// The variables profile text may use.
pub(super) struct TemplateVars<'a> {
    pub(super) name: &'a str,
    pub(super) namespace: Option<&'a str>,
    pub(super) headless: &'a str,
    pub(super) replicas: u32,
    pub(super) cluster_domain: &'a str,
    /// The profile's name (differs from `name` in a node set).
    pub(super) cluster: &'a str,
    /// Node sets by set name: `{{ sets.masters.name }}`, `.headless`, `.replicas`.
    pub(super) sets: &'a IndexMap<String, crate::profile::SetSummary>,
    /// The Secret's name as references use it.
    pub(super) secret_name: &'a str,
    /// The app image, so a preset's helper containers follow a user's `image`.
    pub(super) image: &'a str,
    /// The environment and variables, made on first use: a fresh minijinja Environment per
    /// text cost more than expanding it.
    pub(super) compiled: std::cell::OnceCell<(minijinja::Environment<'static>, minijinja::Value)>,
}

impl TemplateVars<'_> {
    /// Expands `{{ name }}` and friends in profile text; the result stays plain data.
    /// [`Self::expand`], or `None` (no copy) when `text` has no template markers.
    pub(super) fn expand_templated(&self, text: &str) -> Result<Option<String>, LoadError> {
        if !text.contains('{') {
            return Ok(None);
        }
        self.expand(text).map(Some)
    }

    /// Expands `{{ name }}` and friends in `text`.
    pub(super) fn expand(&self, text: &str) -> Result<String, LoadError> {
        self.expand_with(text, None)
    }

    /// [`Self::expand`] with one more variable (`secret` in `secret.files`).
    pub(super) fn expand_with(
        &self,
        text: &str,
        extra: Option<(&'static str, minijinja::Value)>,
    ) -> Result<String, LoadError> {
        if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
            return Ok(text.to_string());
        }
        let (env, ctx) = self.compiled.get_or_init(|| self.environment());
        let extended;
        let ctx = match &extra {
            Some((name, value)) => {
                let mut map = std::collections::BTreeMap::new();
                for key in ctx.try_iter().into_iter().flatten() {
                    let v = ctx.get_item(&key).unwrap_or_default();
                    map.insert(key.to_string(), v);
                }
                map.insert(name.to_string(), value.clone());
                extended = minijinja::Value::from(map);
                &extended
            }
            None => ctx,
        };
        let extra_name = extra.as_ref().map(|(n, _)| *n);
        let describe = |e: minijinja::Error| {
            let detail = e.detail().unwrap_or("template syntax error");
            let line = e
                .line()
                .map(|l| format!(" at line {l} of the text"))
                .unwrap_or_default();
            template_error(format!(
                "{detail}{line} (write a literal `{{{{` as `{{{{ '{{{{' }}}}`)"
            ))
        };
        let tmpl = env.template_from_str(text).map_err(describe)?;
        // Name unknown variables up front; minijinja's globals (e.g. its own `namespace`
        // function) would otherwise print as text instead of failing.
        let mut unknown: Vec<String> = tmpl
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| {
                !TEXT_VARIABLES.contains(&v.as_str())
                    && !TEXT_FUNCTIONS.contains(&v.as_str())
                    && Some(v.as_str()) != extra_name
            })
            .collect();
        unknown.sort();
        if let Some(v) = unknown.first() {
            return Err(template_error(format!(
                "unknown variable `{v}`; profile text may use {{{{ name }}}}, {{{{ namespace }}}}, {{{{ headless }}}}, {{{{ replicas }}}}, {{{{ clusterDomain }}}}, {{{{ cluster }}}}, {{{{ sets.<set>.name|headless|replicas }}}}, {{{{ secretName }}}} and {{{{ image }}}}"
            )));
        }
        if self.namespace.is_none() && tmpl.undeclared_variables(false).contains("namespace") {
            return Err(template_error("`{{ namespace }}` is used but the profile sets no namespace (set `namespace` or pass -n)".into()));
        }
        tmpl.render(ctx).map_err(describe)
    }

    /// The environment profile text is expanded in, and the variables it sees.
    fn environment(&self) -> (minijinja::Environment<'static>, minijinja::Value) {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .keep_trailing_newline(true)
                .build()
                .expect("default delimiters are valid"),
        );
        env.set_debug(false);
        let mut ctx = std::collections::BTreeMap::new();
        ctx.insert("name", minijinja::Value::from(self.name));
        ctx.insert("headless", minijinja::Value::from(self.headless));
        ctx.insert("replicas", minijinja::Value::from(self.replicas));
        ctx.insert("clusterDomain", minijinja::Value::from(self.cluster_domain));
        ctx.insert("cluster", minijinja::Value::from(self.cluster));
        ctx.insert("secretName", minijinja::Value::from(self.secret_name));
        ctx.insert("image", minijinja::Value::from(self.image));
        ctx.insert(
            "sets",
            minijinja::Value::from(minijinja::value::Serde(self.sets)),
        );
        if let Some(ns) = self.namespace {
            ctx.insert("namespace", minijinja::Value::from(ns));
        }
        (env, minijinja::Value::from(ctx))
    }
}

/// A text of the profile that does not expand.
fn template_error(message: String) -> LoadError {
    LoadError::of(ErrorKind::Template, message)
}

/// `text` with its variables expanded; on an error, the error is recorded at `path` and
/// the text is kept as written.
pub(super) fn expand_or_keep(
    vars: &TemplateVars,
    path: &str,
    text: &str,
    errs: &mut Errors,
) -> String {
    match vars.expand(text) {
        Ok(t) => t,
        Err(e) => {
            errs.add(path, e);
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::vars;
    use super::*;

    #[test]
    fn expands_variables_and_functions() {
        let sets = IndexMap::new();
        let v = vars(&sets, Some("prod"), 3);
        assert_eq!(
            v.expand("{{ name }}-0.{{ headless }}.{{ namespace }}.svc.{{ clusterDomain }}")
                .unwrap(),
            "db-0.db.prod.svc.cluster.local"
        );
        assert_eq!(
            v.expand("{% for i in range(replicas) %}{{ name }}-{{ i }} {% endfor %}")
                .unwrap(),
            "db-0 db-1 db-2 "
        );
        assert_eq!(v.expand_templated("plain").unwrap(), None);
        assert_eq!(v.expand("no markers { here").unwrap(), "no markers { here");
    }

    #[test]
    fn unknown_variables_and_a_missing_namespace_are_errors() {
        let sets = IndexMap::new();
        let e = vars(&sets, Some("x"), 3).expand("{{ nmae }}").unwrap_err();
        assert!(e.message.starts_with("unknown variable `nmae`"), "{e}");
        let e = vars(&sets, None, 3).expand("{{ namespace }}").unwrap_err();
        assert!(e.message.contains("the profile sets no namespace"), "{e}");
        let e = vars(&sets, None, 3).expand("{{ name ").unwrap_err();
        assert!(e.message.contains("write a literal"), "{e}");
    }
}
