//! Bounds on profile text expansion: a profile may come from anyone (a pull request to a
//! GitOps repository), and minijinja bounds neither the instructions nor the memory of a
//! template by itself. Three limits: instructions (fuel), the length of the text written,
//! and the filters whose output length an argument chooses, checked before they allocate
//! (`'x' | indent(9000000000000000000)` aborted the process; `replace` and `slice` took tens
//! of gigabytes).

use minijinja::value::{Kwargs, Rest, StringInput, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State, Value};

/// The longest text one expansion may produce. A ConfigMap or Secret holds at most 1 MiB, so
/// no longer text can be applied anyway.
pub(super) const MAX_TEXT_BYTES: usize = 1 << 20;

/// Template instructions one expansion may run, as for object templates (see
/// `render::TEMPLATE_FUEL`): nested `range(100000)` loops would otherwise run for hours.
pub(super) const TEXT_FUEL: u64 = 5_000_000;

/// Items a `slice` or `batch` may make: far more than any config needs.
const MAX_GROUPS: usize = 10_000;

fn too_long(what: &str) -> String {
    format!("{what} would be longer than {MAX_TEXT_BYTES} bytes")
}

fn refuse(what: &str) -> Error {
    Error::new(ErrorKind::InvalidOperation, too_long(what))
}

/// `Ok` when `len` (None: it overflowed) is within [`MAX_TEXT_BYTES`].
fn within(len: Option<usize>, what: &str) -> Result<(), Error> {
    match len {
        Some(n) if n <= MAX_TEXT_BYTES => Ok(()),
        _ => Err(refuse(what)),
    }
}

/// Replaces the builtin filters whose output length an argument sets with ones that check
/// the length first, then call the builtin.
pub(super) fn bound_filters(env: &mut Environment<'static>) {
    env.add_filter(
        "indent",
        |value: StringInput<'_>,
         width: Option<usize>,
         first: Option<bool>,
         blank: Option<bool>,
         kwargs: Kwargs| {
            // The builtin reads `width` from the keywords itself when not given first.
            let spaces = match width {
                Some(w) => w,
                None => kwargs.peek::<Option<usize>>("width")?.unwrap_or(4),
            };
            let lines = value.as_str().matches('\n').count() + 1;
            within(
                spaces
                    .checked_mul(lines)
                    .and_then(|n| n.checked_add(value.as_str().len())),
                "indent's result",
            )?;
            minijinja::filters::indent(value, width, first, blank, kwargs)
        },
    );
    env.add_filter(
        "replace",
        |state: &mut State, value: StringInput<'_>, from: StringInput<'_>, to: StringInput<'_>| {
            let (text, old, new) = (value.as_str(), from.as_str(), to.as_str());
            // An empty `from` matches between every two characters.
            let matches = if old.is_empty() {
                text.chars().count() + 1
            } else {
                text.matches(old).count()
            };
            let grows = new.len().saturating_sub(old.len());
            within(
                matches
                    .checked_mul(grows)
                    .and_then(|n| n.checked_add(text.len())),
                "replace's result",
            )?;
            minijinja::filters::replace(state, value, from, to)
        },
    );
    env.add_filter(
        "join",
        |state: &mut State,
         value: &Value,
         joiner: Option<StringInput<'_>>,
         attribute: Option<&str>,
         kwargs: Kwargs| {
            let items = value.len().unwrap_or(0);
            let sep = joiner.as_ref().map_or(0, |j| j.as_str().len());
            within(items.checked_mul(sep), "join's result")?;
            minijinja::filters::join(state, value, joiner, attribute, kwargs)
        },
    );
    env.add_filter(
        "slice",
        |state: &State, value: Value, count: usize, fill: Option<Value>| {
            groups(count, "slice")?;
            minijinja::filters::slice(state, value, count, fill)
        },
    );
    env.add_filter(
        "batch",
        |state: &State, value: Value, count: usize, fill: Option<Value>| {
            groups(count, "batch")?;
            minijinja::filters::batch(state, value, count, fill)
        },
    );
    env.add_filter(
        "format",
        |state: &mut State, format: &Value, args: Rest<ValueOrKwargs>| {
            if let Some(text) = format.as_str() {
                within(Some(largest_number(text)), "format's result")?;
            }
            minijinja::filters::format(state, format, args)
        },
    );
}

/// The message of `error` when one of these bounds refused to go on (it needs no pointer
/// into the text, unlike a syntax error).
pub(super) fn refusal(error: &Error) -> Option<String> {
    let detail = error.detail()?;
    (error.kind() == ErrorKind::InvalidOperation
        && (detail.ends_with(&too_long("")[1..]) || detail.contains(" makes at most ")))
    .then(|| detail.to_string())
}

fn groups(count: usize, filter: &str) -> Result<(), Error> {
    if count > MAX_GROUPS {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("{filter} makes at most {MAX_GROUPS} groups"),
        ));
    }
    Ok(())
}

/// The largest number written in `text` (a printf width or precision sets the result's
/// length); `usize::MAX` when one does not fit.
fn largest_number(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .map(|run| run.parse::<usize>().unwrap_or(usize::MAX))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> Result<String, String> {
        let mut env = Environment::new();
        env.set_fuel(Some(TEXT_FUEL));
        bound_filters(&mut env);
        let tmpl = env.template_from_str(text).map_err(|e| e.to_string())?;
        let mut out = crate::shared::BoundedWriter::new(MAX_TEXT_BYTES);
        tmpl.render_captured_to((), &mut out)
            .map_err(|e| format!("{e:#}"))?;
        Ok(String::from_utf8(out.bytes).unwrap())
    }

    #[test]
    fn amplifying_filters_refuse_before_allocating() {
        for (text, needle) in [
            ("{{ 'x' | indent(9000000000000000000) }}", "indent's result"),
            ("{{ 'a\nb' | indent(999999999, true) }}", "indent's result"),
            ("{{ 'x' | indent(width=99999999) }}", "indent's result"),
            (
                "{{ ('a' * 1000000) | replace('a', 'a' * 1000000) }}",
                "replace's result",
            ),
            (
                "{{ ('a' * 1000000) | replace('', 'bb') }}",
                "replace's result",
            ),
            ("{{ [1, 2, 3] | join('x' * 1000000) }}", "join's result"),
            ("{{ [1] | slice(1000000000) }}", "slice makes at most"),
            ("{{ [1] | batch(1000000000, 0) }}", "batch makes at most"),
            ("{{ '%999999999s' | format('x') }}", "format's result"),
        ] {
            let err = render(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn the_same_filters_work_within_the_bounds() {
        assert_eq!(render("{{ 'a\nb' | indent(2) }}").unwrap(), "a\n  b");
        assert_eq!(
            render("{{ 'a\nb' | indent(width=1, first=true) }}").unwrap(),
            " a\n b"
        );
        assert_eq!(
            render("{{ 'a-b-c' | replace('-', '--') }}").unwrap(),
            "a--b--c"
        );
        assert_eq!(render("{{ [1, 2] | join(', ') }}").unwrap(), "1, 2");
        assert_eq!(
            render("{{ [1, 2, 3] | slice(2) | list }}").unwrap(),
            "[[1, 2], [3]]"
        );
        assert_eq!(
            render("{{ [1, 2, 3] | batch(2) | list }}").unwrap(),
            "[[1, 2], [3]]"
        );
        assert_eq!(render("{{ '%5s|' | format('x') }}").unwrap(), "    x|");
    }

    #[test]
    fn loops_run_out_of_fuel_and_long_text_is_refused() {
        let err = render(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        )
        .unwrap_err();
        assert!(err.contains("fuel"), "{err}");
        let err = render("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}").unwrap_err();
        assert!(err.contains("failed to write output"), "{err}");
    }
}
