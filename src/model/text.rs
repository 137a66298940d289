//! Text variables: `{{ name }}`, `{{ headless }}`, `{{ replicas }}`, ... in profile text
//! (config files, env values, names, raw objects), expanded with minijinja.

use indexmap::IndexMap;

use super::errors::Errors;
use super::text_limits::{bound_filters, refusal, MAX_TEXT_BYTES, TEXT_FUEL};
use crate::shared::error::{text_hash, ErrorKind, LoadError, TextPos};

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
    "claimName",
    "ports",
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
    /// The volume claim template's name (`storage.claimName`, default `data`), so a backup
    /// job that mounts a member's claim follows a user's `claimName`.
    pub(super) claim_name: &'a str,
    /// Work left to all the texts of this render (see `text_budget`).
    pub(super) budget: &'a super::text_budget::TextBudget,
    /// For the names of objects, which cannot use `{{ namespace }}`.
    pub(super) in_name: bool,
    /// The declared ports, `{{ ports.<name> }}`: a preset's config files and probes follow a
    /// port the user changes.
    pub(super) ports: &'a [super::ModelPort],
    /// The environment and variables, made on first use: a fresh minijinja Environment per
    /// text cost more than expanding it.
    pub(super) compiled: std::cell::OnceCell<(minijinja::Environment<'static>, minijinja::Value)>,
}

impl<'a> TemplateVars<'a> {
    /// These variables with another namespace, headless Service and Secret name, for the
    /// names of objects or not (`in_name`), and the same work budget.
    pub(super) fn with<'b>(
        &self,
        namespace: Option<&'b str>,
        headless: &'b str,
        secret_name: &'b str,
        in_name: bool,
    ) -> TemplateVars<'b>
    where
        'a: 'b,
    {
        TemplateVars {
            namespace,
            headless,
            secret_name,
            in_name,
            compiled: Default::default(),
            ..*self
        }
    }

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
        shell_length(text)?;
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
        let describe = |e: minijinja::Error| syntax_error(text, &e);
        // Before compiling: the compiler folds constant expressions, `2 in [1] * 100000000`
        // among them.
        super::text_budget::check(text, ctx, self.budget).map_err(|r| {
            let (line, col) = r.at;
            let message = format!("{} (line {line}, column {col} of the text)", r.message);
            at_in_text(text, r.at, message, r.message).with_hint(super::text_budget::HINT)
        })?;
        let tmpl = env.template_from_str(text).map_err(describe)?;
        // Name unknown variables up front; minijinja's globals (e.g. its own `namespace`
        // function) would otherwise print as text instead of failing.
        let used = tmpl.undeclared_variables(false);
        let mut unknown: Vec<&String> = used
            .iter()
            .filter(|v| {
                !TEXT_VARIABLES.contains(&v.as_str())
                    && !TEXT_FUNCTIONS.contains(&v.as_str())
                    && Some(v.as_str()) != extra_name
            })
            .collect();
        unknown.sort();
        if let Some(v) = unknown.first() {
            let message = format!(
                "unknown variable `{v}`; profile text may use {{{{ name }}}}, {{{{ namespace }}}}, {{{{ headless }}}}, {{{{ replicas }}}}, {{{{ clusterDomain }}}}, {{{{ cluster }}}}, {{{{ sets.<set>.name|headless|replicas }}}}, {{{{ secretName }}}}, {{{{ image }}}}, {{{{ claimName }}}} and {{{{ ports.<port name> }}}}"
            );
            return Err(match variable_in_tags(text, v) {
                Some(pos) => {
                    let (line, col) = line_col(text, pos);
                    let located = message.clone();
                    at_in_text(
                        text,
                        (line, col),
                        format!("{message} (line {line}, column {col} of the text)"),
                        located,
                    )
                }
                None => template_error(message),
            });
        }
        if self.in_name && used.contains("namespace") {
            return Err(template_error("an object's name cannot use `{{ namespace }}`: the objects keep their names in whatever namespace they are applied to".into()));
        }
        if self.namespace.is_none() && used.contains("namespace") {
            return Err(template_error("`{{ namespace }}` is used but the profile sets no namespace (set `namespace` or pass -n)".into()));
        }
        if used.contains("ports") {
            self.known_ports(&tmpl)?;
        }
        let mut out = crate::shared::BoundedWriter::new(MAX_TEXT_BYTES);
        tmpl.render_captured_to(ctx, &mut out)
            .map_err(|e| match e.kind() {
                minijinja::ErrorKind::OutOfFuel => template_error(format!(
                    "ran more than {TEXT_FUEL} template instructions (a loop too long?)"
                )),
                minijinja::ErrorKind::WriteFailure => template_error(format!(
                    "the expanded text would be longer than {MAX_TEXT_BYTES} bytes"
                )),
                minijinja::ErrorKind::UndefinedError => {
                    undefined_error(text, &e, self.sets, extra.as_ref())
                }
                _ => match refusal(&e) {
                    Some(message) => template_error(message),
                    None => describe(e),
                },
            })?;
        String::from_utf8(out.bytes)
            .map_err(|_| template_error("wrote text that is not UTF-8".into()))
    }

    /// Every `{{ ports.<name> }}` names a declared port (minijinja would only say "undefined").
    fn known_ports(&self, tmpl: &minijinja::Template) -> Result<(), LoadError> {
        for used in tmpl.undeclared_variables(true) {
            let Some(port) = used.strip_prefix("ports.") else {
                continue;
            };
            if !self.ports.iter().any(|p| p.name == port) {
                let declared: Vec<&str> = self.ports.iter().map(|p| p.name.as_str()).collect();
                return Err(template_error(format!(
                    "`{{{{ ports.{port} }}}}`: no port is named `{port}`; declared ports: {}",
                    if declared.is_empty() {
                        "none".to_string()
                    } else {
                        declared.join(", ")
                    }
                )));
            }
        }
        Ok(())
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
        env.set_fuel(Some(TEXT_FUEL));
        bound_filters(&mut env);
        let mut ctx = std::collections::BTreeMap::new();
        ctx.insert("name", minijinja::Value::from(self.name));
        ctx.insert("headless", minijinja::Value::from(self.headless));
        ctx.insert("replicas", minijinja::Value::from(self.replicas));
        ctx.insert("clusterDomain", minijinja::Value::from(self.cluster_domain));
        ctx.insert("cluster", minijinja::Value::from(self.cluster));
        ctx.insert("secretName", minijinja::Value::from(self.secret_name));
        ctx.insert("image", minijinja::Value::from(self.image));
        ctx.insert("claimName", minijinja::Value::from(self.claim_name));
        let ports: std::collections::BTreeMap<&str, u16> = self
            .ports
            .iter()
            .map(|p| (p.name.as_str(), p.port))
            .collect();
        ctx.insert("ports", minijinja::Value::from(ports));
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

/// The template openers: what each starts, for messages.
const OPENERS: &[(&str, &str)] = &[
    ("{{", "an expression"),
    ("{%", "a statement"),
    ("{#", "a comment"),
];

/// An error of `text` that names the delimiter that opened the failing part (where it is in
/// the text) and how to write it literally, so `${#VAR}` of a shell script or a stray `{%`
/// is explained in the user's terms rather than the engine's.
fn syntax_error(text: &str, e: &minijinja::Error) -> LoadError {
    let detail = e.detail().unwrap_or("template syntax error");
    let at = e
        .range()
        .map(|r| r.start)
        .or_else(|| e.line().map(|l| offset_of_line_end(text, l)))
        .unwrap_or(text.len());
    let opener = opener_before(text, at).or_else(|| opener_before(text, text.len()));
    match opener {
        Some((pos, op, what)) => {
            let (line, col) = line_col(text, pos);
            at_in_text(
                text,
                (line, col),
                format!("{detail}: the `{op}` at line {line}, column {col} of the text opens {what} of the template engine"),
                format!("{detail}: the `{op}` here opens {what} of the template engine"),
            )
            .with_hint(format!("a literal `{op}` is written `{{{{ '{op}' }}}}`; {RAW_HINT}"))
        }
        None => template_error(detail.to_string()).with_hint(format!(
            "a literal `{{{{` is written `{{{{ '{{{{' }}}}`; {RAW_HINT}"
        )),
    }
}

/// A use of a value that does not exist, such as `{{ sets.nope.name }}` (no such node set)
/// or an attribute a variable lacks; the engine says only "undefined value".
fn undefined_error(
    text: &str,
    e: &minijinja::Error,
    sets: &IndexMap<String, crate::profile::SetSummary>,
    extra: Option<&(&'static str, minijinja::Value)>,
) -> LoadError {
    let mut known = match sets.is_empty() {
        true => "the profile has no node sets".to_string(),
        false => format!(
            "`sets.<set>` names one of the node sets {}",
            sets.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    };
    // `secret.<key>` in `secret.files`: the keys by name only, never a value.
    if let Some((name, value)) = extra {
        let keys: Vec<String> = value
            .try_iter()
            .into_iter()
            .flatten()
            .map(|k| k.to_string())
            .collect();
        known = format!("`{name}.<key>` names one of {}; {known}", keys.join(", "));
    }
    let why = format!(
        "uses a value that does not exist ({known}; `name`, `namespace`, ... have no attributes)"
    );
    let at = e.range().map_or(text.len(), |r| r.start);
    match opener_before(text, at).or_else(|| opener_before(text, text.len())) {
        Some((pos, op, _)) => {
            let (line, col) = line_col(text, pos);
            at_in_text(
                text,
                (line, col),
                format!("the `{op}` at line {line}, column {col} of the text {why}"),
                format!("this `{op}` {why}"),
            )
        }
        None => template_error(format!("the text {why}")),
    }
}

/// Shell's `${#VAR}` (length of VAR) in `text`: `{#` opens a template comment, which a
/// later `#}` would close, silently dropping the text between; refused before expanding.
fn shell_length(text: &str) -> Result<(), LoadError> {
    let in_raw = |pos: usize| {
        let before = &text[..pos];
        let opened = ["{% raw", "{%- raw", "{%+ raw"]
            .iter()
            .filter_map(|o| before.rfind(o))
            .max();
        opened.is_some_and(|o| before.rfind("endraw").is_none_or(|c| c < o))
    };
    let Some(pos) = text
        .match_indices("${#")
        .map(|(i, _)| i)
        .find(|&i| !in_raw(i))
    else {
        return Ok(());
    };
    let (line, col) = line_col(text, pos);
    let why = "`{#` opens a template comment, so shell's `${#VAR}` cannot be written as is";
    Err(at_in_text(
        text,
        (line, col),
        format!("`${{#` at line {line}, column {col} of the text: {why}"),
        format!("`${{#`: {why}"),
    )
    .with_hint(format!("write `${{{{ '{{#' }}}}VAR}}`, or {RAW_HINT}")))
}

/// A template error at `(line, col)` of `text`: `message` says where in the text; `located`
/// is used instead once the error is shown at the file's own line and column (see
/// `Errors::add`).
fn at_in_text(
    text: &str,
    (line, col): (usize, usize),
    message: String,
    located: String,
) -> LoadError {
    let mut e = template_error(message);
    e.in_text = Some(Box::new(TextPos {
        line,
        col,
        hash: text_hash(text),
        message: located,
    }));
    e
}

/// The byte of the first `name`, as a whole word, inside a `{{ }}` or `{% %}` of `text`:
/// where an unknown variable is used (the engine does not say).
fn variable_in_tags(text: &str, name: &str) -> Option<usize> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(open) = ["{{", "{%"]
        .iter()
        .filter_map(|o| text[from..].find(o))
        .min()
        .map(|i| from + i)
    {
        let body = open + 2;
        let end = ["}}", "%}"]
            .iter()
            .filter_map(|c| text[body..].find(c))
            .min()
            .map_or(text.len(), |i| body + i);
        let tag = &text[body..end];
        let found = tag.match_indices(name).find(|(i, _)| {
            let before = tag[..*i].chars().next_back();
            let after = tag[i + name.len()..].chars().next();
            // `.name` is an attribute, not the variable.
            !before.is_some_and(|c| word(c) || c == '.') && !after.is_some_and(word)
        });
        if let Some((i, _)) = found {
            return Some(body + i);
        }
        from = end;
    }
    None
}

/// How to keep a whole text from the template engine.
const RAW_HINT: &str = "a whole literal text goes between `{% raw %}` and `{% endraw %}`";

/// The last template opener that starts at or before byte `at`.
fn opener_before(text: &str, at: usize) -> Option<(usize, &'static str, &'static str)> {
    let head = &text[..floor_boundary(text, at)];
    OPENERS
        .iter()
        .filter_map(|(op, what)| head.rfind(op).map(|pos| (pos, *op, *what)))
        .max_by_key(|(pos, _, _)| *pos)
}

/// The byte just past line `line` (1-based) of `text`.
fn offset_of_line_end(text: &str, line: usize) -> usize {
    text.split_inclusive('\n').take(line).map(str::len).sum()
}

/// The 1-based line and column (in characters) of byte `pos`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// The largest char boundary at or below byte `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
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

/// Every item of a list of texts (`command`, `args`) expanded; errors recorded at
/// `field[i]`, the items kept as written.
pub(super) fn expand_list(
    vars: &TemplateVars,
    field: &str,
    items: &[String],
    errs: &mut Errors,
) -> Vec<String> {
    items
        .iter()
        .enumerate()
        .map(|(i, text)| expand_or_keep(vars, &format!("{field}[{i}]"), text, errs))
        .collect()
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
        assert!(e.message.contains("the `{{` at line 1, column 1"), "{e}");
        assert!(e.hint.unwrap().contains("`{{ '{{' }}`"));
    }

    #[test]
    fn stray_openers_are_named_with_their_place_and_literal_form() {
        let sets = IndexMap::new();
        let v = vars(&sets, Some("x"), 3);
        let e = v.expand("a\nb {% c").unwrap_err();
        assert!(
            e.message
                .starts_with("unknown statement c: the `{%` at line 2, column 3"),
            "{e}"
        );
        assert!(e
            .hint
            .unwrap()
            .starts_with("a literal `{%` is written `{{ '{%' }}`"));
        // A later `#}` would close the comment `${#` opens and drop the text between.
        let e = v.expand("n=${#A} m=${#B}#}").unwrap_err();
        assert!(
            e.message
                .starts_with("`${#` at line 1, column 3 of the text"),
            "{e}"
        );
        assert!(e.hint.unwrap().contains("`${{ '{#' }}VAR}`"));
        // The literal forms the hints name expand to the text meant.
        assert_eq!(v.expand("n=${{ '{#' }}A}").unwrap(), "n=${#A}");
        assert_eq!(
            v.expand("{% raw %}n=${#A} {% x{% endraw %} {{ name }}")
                .unwrap(),
            "n=${#A} {% x db"
        );
    }
}
