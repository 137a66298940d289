//! What expanding a profile text may cost, bounded before it runs.
//!
//! Fuel bounds the instructions of a text, and `text_limits` the filters whose arguments set
//! a result's length, but one instruction may still copy a large value: `name * 100000` in a
//! loop ran for 44 s, a macro that doubled a string 31 times took 24 GB. So each text's syntax
//! tree is read first with bounds on every value it can make (from the variables' real values
//! and the literals): a value past [`MAX_TEXT_BYTES`] is refused where it is made, and the
//! bytes all of a profile's texts may copy and the steps they may run share one
//! [`TextBudget`]. Macros and recursive loops, which can double a value at each call, are
//! refused. The bounds are upper bounds: a text refused here might have been small, but none
//! accepted can exceed them.

mod bound;

use std::cell::Cell;

use minijinja::machinery::ast::{self, BinOpKind, CallArg, Expr, Stmt};
use minijinja::machinery::Span;
use minijinja::Value;

use super::text_limits::MAX_TEXT_BYTES;
use bound::{
    concatenated, field, filter_bound, list_of, loop_bound, map_of, number_of, repeated, Bound,
};

/// Work every profile text of one render may do together, in bytes copied plus
/// [`STEP_COST`] per expression evaluated: about a second at worst on a slow machine, and
/// thousands of times what the bundled presets need.
pub(super) const PROFILE_TEXT_WORK: u64 = 1 << 30;

/// The work one evaluated expression counts for besides the bytes it makes.
const STEP_COST: u64 = 64;

/// The most items minijinja's `range` makes.
const MAX_RANGE: u64 = 100_000;

/// The longest a number, a boolean or `none` prints.
const SCALAR_BYTES: u64 = 40;

/// Work left to the texts of one render, shared by all of its [`super::TemplateVars`].
pub(super) struct TextBudget {
    left: Cell<u64>,
}

impl Default for TextBudget {
    fn default() -> Self {
        TextBudget::shared_by(1)
    }
}

impl TextBudget {
    /// One render's share when a profile's `sets` node sets are rendered one at a time, so
    /// the whole profile stays within [`PROFILE_TEXT_WORK`].
    pub(super) fn shared_by(sets: usize) -> Self {
        TextBudget {
            left: Cell::new(PROFILE_TEXT_WORK / sets.max(1) as u64),
        }
    }
}

/// Why a text is not expanded, and where in it (1-based line and column).
pub(super) struct Refusal {
    pub(super) at: (usize, usize),
    pub(super) message: String,
}

/// What to do about any [`Refusal`].
pub(super) const HINT: &str = "profile text expands within fixed bounds (docs/PROFILE.md): \
    write a long text out as it is rather than computing it";

/// Refuses `text` (already parsed by minijinja without error) if expanding it with `context`
/// could make a value past [`MAX_TEXT_BYTES`] or do more work than `budget` has left; takes
/// the text's worst-case work from the budget otherwise.
pub(super) fn check(text: &str, context: &Value, budget: &TextBudget) -> Result<(), Refusal> {
    let syntax = minijinja::syntax::SyntaxConfig::default();
    // A text the engine cannot parse is reported by its compiler, with a better message.
    let Ok(tree) = minijinja::machinery::parse(text, "<text>", syntax) else {
        return Ok(());
    };
    let mut walk = Walk {
        bound: Vec::new(),
        context,
        runs: 1,
        work: 0,
        left: budget.left.get(),
        emitted: 0,
    };
    walk.stmt(&tree)?;
    budget.left.set(walk.left - walk.work);
    Ok(())
}

struct Walk<'c> {
    /// Variables the text sets (`set`, `with`, loop targets) and what each could hold.
    /// Never unset: a name stands for the largest of its values wherever it is read, which
    /// holds whatever the engine's scopes are (a `set` in an `if` is seen after it).
    bound: Vec<(String, Bound)>,
    context: &'c Value,
    /// How many times the statement being read may run (the product of its loops' items).
    runs: u64,
    /// Work counted so far, and the budget it may not pass.
    work: u64,
    left: u64,
    /// Bytes written so far (times their runs), to bound what `{% set %}` blocks capture.
    emitted: u64,
}

type Checked<T> = Result<T, Refusal>;

impl Walk<'_> {
    fn refuse(&self, span: Span, message: String) -> Refusal {
        Refusal {
            at: (span.start_line as usize, span.start_col as usize + 1),
            message,
        }
    }

    /// Counts `bytes` of work, run [`Self::runs`] times, at `span`.
    fn charge(&mut self, span: Span, bytes: u64) -> Checked<()> {
        self.work = self
            .work
            .saturating_add(self.runs.saturating_mul(bytes.saturating_add(STEP_COST)));
        if self.work > self.left {
            return Err(self.refuse(
                span,
                format!(
                    "this text could take too long to expand: it may run this part {} times, \
                     and all of a profile's texts together may copy at most {PROFILE_TEXT_WORK} bytes",
                    self.runs
                ),
            ));
        }
        Ok(())
    }

    /// `bound`, once it is known to fit [`MAX_TEXT_BYTES`] and charged.
    fn made(&mut self, span: Span, bound: Bound) -> Checked<Bound> {
        if bound.bytes > MAX_TEXT_BYTES as u64 && !bound.lazy {
            return Err(self.refuse(
                span,
                format!("this expression may make a value longer than {MAX_TEXT_BYTES} bytes"),
            ));
        }
        // A range makes its items as they are asked for: the loop over it pays for them.
        self.charge(span, if bound.lazy { 0 } else { bound.bytes })?;
        Ok(bound)
    }

    fn lookup(&self, name: &str) -> Bound {
        let given = match self.context.get_attr(name) {
            Ok(v) if !v.is_undefined() => Some(Bound::of(&v)),
            _ => None,
        };
        self.bound
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .chain(given)
            .reduce(|a, b| a.either(&b))
            // Unknown names are refused before the text runs.
            .unwrap_or_else(Bound::scalar)
    }

    fn bind(&mut self, target: &Expr, bound: Bound) {
        match target {
            Expr::Var(v) => self.bound.push((v.id.to_string(), bound)),
            Expr::List(l) => {
                let item = bound.item();
                for t in &l.items {
                    self.bind(t, item.clone());
                }
            }
            _ => {}
        }
    }

    fn block(&mut self, body: &[Stmt]) -> Checked<()> {
        body.iter().try_for_each(|s| self.stmt(s))
    }

    /// What `body` writes at most per run of the statement around it.
    fn captured(&mut self, body: &[Stmt]) -> Checked<u64> {
        let before = self.emitted;
        self.block(body)?;
        Ok(self.emitted.saturating_sub(before) / self.runs.max(1))
    }

    fn emit(&mut self, span: Span, bytes: u64) -> Checked<()> {
        self.emitted = self.emitted.saturating_add(self.runs.saturating_mul(bytes));
        self.charge(span, bytes)
    }

    fn stmt(&mut self, stmt: &Stmt) -> Checked<()> {
        match stmt {
            Stmt::Template(t) => self.block(&t.children),
            Stmt::EmitExpr(e) => {
                let b = self.expr(&e.expr)?;
                self.emit(e.span(), b.bytes)
            }
            Stmt::EmitRaw(r) => self.emit(r.span(), r.raw.len() as u64),
            Stmt::ForLoop(f) => {
                if f.recursive {
                    return Err(self.refuse(
                        f.span(),
                        "a recursive loop is not available in profile text".into(),
                    ));
                }
                let iter = self.expr(&f.iter)?;
                let outer = self.runs;
                self.runs = outer.saturating_mul(iter.items);
                // Each pass of the loop counts, even one that makes nothing.
                self.charge(f.span(), 0)?;
                self.bind(&f.target, iter.item());
                self.bound
                    .push(("loop".into(), loop_bound(iter.items, iter.item())));
                let result = (|| {
                    if let Some(filter) = &f.filter_expr {
                        self.expr(filter)?;
                    }
                    self.block(&f.body)
                })();
                self.runs = outer;
                result?;
                self.block(&f.else_body)
            }
            Stmt::IfCond(i) => {
                self.expr(&i.expr)?;
                self.block(&i.true_body)?;
                self.block(&i.false_body)
            }
            Stmt::WithBlock(w) => {
                for (target, value) in &w.assignments {
                    let b = self.expr(value)?;
                    self.bind(target, b);
                }
                self.block(&w.body)
            }
            Stmt::Set(s) => {
                let b = self.expr(&s.expr)?;
                self.bind(&s.target, b);
                Ok(())
            }
            Stmt::SetBlock(s) => {
                let bytes = self.captured(&s.body)?;
                let mut b = self.made(s.span(), Bound::text(bytes))?;
                if let Some(filter) = &s.filter {
                    b = self.filtered(filter, b)?;
                }
                self.bind(&s.target, b);
                Ok(())
            }
            Stmt::FilterBlock(f) => {
                let bytes = self.captured(&f.body)?;
                let b = self.made(f.span(), Bound::text(bytes))?;
                let b = self.filtered(&f.filter, b)?;
                self.emit(f.span(), b.bytes)
            }
            Stmt::AutoEscape(a) => self.block(&a.body),
            Stmt::Block(b) => self.block(&b.body),
            Stmt::Do(d) => {
                let b = self.call(&d.call)?;
                self.made(d.span(), b).map(|_| ())
            }
            Stmt::Macro(m) => Err(self.not_available(m.span(), "macro")),
            Stmt::CallBlock(c) => Err(self.not_available(c.span(), "call")),
            Stmt::Import(i) => Err(self.not_available(i.span(), "import")),
            Stmt::FromImport(i) => Err(self.not_available(i.span(), "from")),
            Stmt::Extends(e) => Err(self.not_available(e.span(), "extends")),
            Stmt::Include(i) => Err(self.not_available(i.span(), "include")),
        }
    }

    fn not_available(&self, span: Span, tag: &str) -> Refusal {
        self.refuse(
            span,
            format!("`{{% {tag} %}}` is not available in profile text"),
        )
    }

    /// `filter` (a `Filter` expression without its input, as `{% filter %}` and
    /// `{% set x | f %}` write it) applied to `input`.
    fn filtered(&mut self, filter: &Expr, input: Bound) -> Checked<Bound> {
        match filter {
            Expr::Filter(f) => {
                let args = self.args(&f.args)?;
                let b = filter_bound(f.name, &input, &args, None);
                self.made(f.span(), b)
            }
            other => self.expr(other),
        }
    }

    fn args(&mut self, args: &[CallArg]) -> Checked<Vec<Bound>> {
        args.iter()
            .map(|a| match a {
                CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e) => self.expr(e),
            })
            .collect()
    }

    fn expr(&mut self, expr: &Expr) -> Checked<Bound> {
        let (span, bound) = match expr {
            Expr::Var(v) => (v.span(), self.lookup(v.id)),
            Expr::Const(c) => (c.span(), Bound::of(&c.value)),
            Expr::Slice(s) => {
                let b = self.expr(&s.expr)?;
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part)?;
                }
                (s.span(), b)
            }
            Expr::UnaryOp(u) => {
                let b = self.expr(&u.expr)?;
                let b = match u.op {
                    ast::UnaryOpKind::Neg => Bound::number(b.number.unwrap_or(u64::MAX)),
                    ast::UnaryOpKind::Not => Bound::number(1),
                };
                (u.span(), b)
            }
            Expr::BinOp(op) => {
                let (left, right) = (self.expr(&op.left)?, self.expr(&op.right)?);
                (op.span(), self.binary(op.op, &left, &right, &op.right))
            }
            Expr::Compare(c) => {
                let mut right_bytes = 0u64;
                self.expr(&c.expr)?;
                for op in &c.ops {
                    // `in` looks through the whole right side.
                    right_bytes = right_bytes.saturating_add(self.expr(&op.expr)?.bytes);
                }
                self.charge(c.span(), right_bytes)?;
                (c.span(), Bound::number(1))
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr)?;
                let yes = self.expr(&i.true_expr)?;
                let no = match &i.false_expr {
                    Some(e) => self.expr(e)?,
                    None => Bound::scalar(),
                };
                (i.span(), yes.either(&no))
            }
            Expr::Filter(f) => {
                let input = match &f.expr {
                    Some(e) => self.expr(e)?,
                    None => Bound::scalar(),
                };
                let args = self.args(&f.args)?;
                let format = match &f.expr {
                    Some(Expr::Const(c)) => c.value.as_str(),
                    _ => None,
                };
                (f.span(), filter_bound(f.name, &input, &args, format))
            }
            Expr::Test(t) => {
                self.expr(&t.expr)?;
                self.args(&t.args)?;
                (t.span(), Bound::number(1))
            }
            Expr::GetAttr(g) => {
                let parent = self.expr(&g.expr)?;
                (g.span(), field(&parent, g.name))
            }
            Expr::GetItem(g) => {
                let parent = self.expr(&g.expr)?;
                self.expr(&g.subscript_expr)?;
                let b = match &g.subscript_expr {
                    Expr::Const(c) if parent.fields.is_some() => match c.value.as_str() {
                        Some(key) => field(&parent, key),
                        None => parent.item(),
                    },
                    _ => parent.item(),
                };
                (g.span(), b)
            }
            Expr::Call(c) => (c.span(), self.call(c)?),
            Expr::List(l) => (l.span(), self.items(&l.items)?),
            Expr::Tuple(t) => (t.span(), self.items(&t.items)?),
            Expr::Map(m) => {
                let mut fields = Vec::new();
                for (k, v) in m.keys.iter().zip(&m.values) {
                    let key = self.expr(k)?;
                    let value = self.expr(v)?;
                    let name = match k {
                        Expr::Const(c) => c.value.as_str().map(str::to_string),
                        _ => None,
                    };
                    fields.push((name.unwrap_or_default(), key, value));
                }
                (m.span(), map_of(fields))
            }
        };
        match expr {
            // These hand out a value that exists already (minijinja shares it), copying
            // nothing.
            Expr::Var(_) | Expr::Const(_) | Expr::GetAttr(_) | Expr::GetItem(_) => {
                self.charge(span, 0)?;
                Ok(bound)
            }
            _ => self.made(span, bound),
        }
    }

    /// A list or tuple of `items`.
    fn items(&mut self, items: &[Expr]) -> Checked<Bound> {
        let items = items
            .iter()
            .map(|e| self.expr(e))
            .collect::<Checked<Vec<_>>>()?;
        Ok(list_of(items))
    }

    fn binary(&self, op: BinOpKind, left: &Bound, right: &Bound, right_expr: &Expr) -> Bound {
        let num = |f: fn(u64, u64) -> Option<u64>| match (left.magnitude(), right.magnitude()) {
            (Some(a), Some(b)) => Bound::number(f(a, b).unwrap_or(u64::MAX)),
            _ => Bound::number(u64::MAX),
        };
        match op {
            BinOpKind::Eq
            | BinOpKind::Ne
            | BinOpKind::Lt
            | BinOpKind::Lte
            | BinOpKind::Gt
            | BinOpKind::Gte
            | BinOpKind::In => Bound::number(1),
            // `and` and `or` give one of their operands.
            BinOpKind::ScAnd | BinOpKind::ScOr => left.either(right),
            BinOpKind::Add if left.number.is_some() && right.number.is_some() => {
                num(u64::checked_add)
            }
            BinOpKind::Add | BinOpKind::Concat => concatenated(left, right),
            BinOpKind::Sub => num(u64::checked_add),
            BinOpKind::Mul => match (left.number, right.number) {
                (Some(_), Some(_)) => num(u64::checked_mul),
                // Text or a list repeated: as long as the count can be.
                (Some(_), None) => repeated(right, left.number.unwrap_or(u64::MAX)),
                (None, Some(n)) => repeated(left, n),
                (None, None) => repeated(left, u64::MAX),
            },
            // A division by a number below one can make any magnitude.
            BinOpKind::Div | BinOpKind::FloorDiv => match right_expr {
                Expr::Const(c) if number_of(&c.value).is_some_and(|n| n >= 1) => {
                    Bound::number(left.number.unwrap_or(u64::MAX))
                }
                _ => Bound::number(u64::MAX),
            },
            BinOpKind::Rem => {
                Bound::number(right.magnitude().or(left.magnitude()).unwrap_or(u64::MAX))
            }
            BinOpKind::Pow => num(|a, b| a.checked_pow(u32::try_from(b).ok()?)),
        }
    }

    fn call(&mut self, call: &ast::Call) -> Checked<Bound> {
        let args = self.args(&call.args)?;
        let bound = match &call.expr {
            Expr::Var(v) if v.id == "range" && self.is_global(v.id) => {
                let largest = args
                    .iter()
                    .map(|a| a.magnitude().unwrap_or(u64::MAX))
                    .fold(0u64, u64::saturating_add);
                let items = largest.min(MAX_RANGE);
                Bound {
                    lazy: true,
                    ..Bound::list(Bound::number(largest), items)
                }
            }
            Expr::Var(v) if v.id == "dict" && self.is_global(v.id) => {
                let bytes = args.iter().fold(0u64, |s, a| s.saturating_add(a.bytes + 8));
                Bound::within(bytes)
            }
            // `loop.cycle(...)` gives one of its arguments; `loop.changed(...)` a boolean.
            callee => {
                let target = self.expr(callee)?;
                let largest = args.iter().fold(target, |a, b| a.either(b));
                Bound::within(largest.bytes)
            }
        };
        Ok(bound)
    }

    fn is_global(&self, name: &str) -> bool {
        !self.bound.iter().any(|(n, _)| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Value {
        let mut sets = std::collections::BTreeMap::new();
        let mut masters = std::collections::BTreeMap::new();
        masters.insert("name", Value::from("db-masters"));
        masters.insert("replicas", Value::from(3));
        sets.insert("masters", Value::from(masters));
        let mut ctx = std::collections::BTreeMap::new();
        ctx.insert("name", Value::from("db"));
        ctx.insert("headless", Value::from("db"));
        ctx.insert("replicas", Value::from(5));
        ctx.insert("sets", Value::from(sets));
        Value::from(ctx)
    }

    fn refused(text: &str) -> String {
        match check(text, &context(), &TextBudget::default()) {
            Ok(()) => panic!("accepted: {text}"),
            Err(r) => format!("{:?}: {}", r.at, r.message),
        }
    }

    #[test]
    fn what_profiles_write_is_accepted() {
        for text in [
            "plain text, no template",
            "{{ name }}-{{ replicas - 1 }}.{{ headless }}",
            "{% for i in range(replicas) %}{{ name }}-{{ i }}.{{ headless }}:2888{% if not loop.last %},{% endif %}{% endfor %}",
            "{{ [replicas, 3] | min }} {{ sets.masters.name }} {{ sets['masters'].replicas }}",
            "{% for i in range(sets.masters.replicas) %}{{ i * 2 + 1 }}{% endfor %}",
            "{% set peers = name ~ '-0' %}{% with n = replicas // 2 %}{{ peers }} {{ n }}{% endwith %}",
            "{{ '%05d' | format(replicas) }} {{ name | upper | replace('D', 'd') }} {{ 'a\nb' | indent(4) }}",
            "{% for i in range(100000) %}{% endfor %}{{ range(5) | list | join(',') }}",
            "{% set block %}{% for i in range(replicas) %}x{% endfor %}{% endset %}{{ block | length }}",
        ] {
            if let Err(r) = check(text, &context(), &TextBudget::default()) {
                panic!("{text}: {:?} {}", r.at, r.message);
            }
        }
    }

    #[test]
    fn values_that_could_pass_the_bound_are_refused_where_they_are_made() {
        for (text, at) in [
            // `*` repeats: by an unknown count, or a known one too large.
            ("{{ name * 1000000 }}", (1, 4)),
            ("x\n{{ ([1] * 100000000) | list | length }}", (2, 5)),
            ("{{ 2 in [1] * 100000000 }}", (1, 9)),
            ("{{ name * (replicas | int) }}", (1, 4)),
            // Doubling through variables: bounded at each step.
            (
                "{% set a = name * 1000 %}{% set b = a ~ a %}{% set c = b ~ b %}{% set d = c ~ c %}{% set e = d ~ d %}{% set f = e ~ e %}{% set g = f ~ f %}{% set h = g ~ g %}{% set i = h ~ h %}{% set j = i ~ i %}{% set k = j ~ j %}",
                (1, 208),
            ),
            // What a block captures is held in memory, not written out.
            (
                "{% set x %}{% for i in range(100000) %}{{ name * 100 }}{% endfor %}{% endset %}",
                (1, 4),
            ),
            ("{{ range(100000) | string }}", (1, 20)),
        ] {
            let got = refused(text);
            assert!(
                got.starts_with(&format!("{at:?}")) && got.contains("1048576 bytes"),
                "{text}: {got}"
            );
        }
    }

    #[test]
    fn a_variable_is_as_large_as_any_value_it_was_given() {
        // Set inside an `if` (seen after it by the engine) and doubled ten times.
        let mut text = "{% if replicas %}{% set v0 = name * 1000 %}{% endif %}".to_string();
        for i in 1..=10 {
            text.push_str(&format!("{{% set v{i} = v{p} ~ v{p} %}}", p = i - 1));
        }
        let at = text.rfind("v9 ~ v9").unwrap() + 1;
        let got = refused(&text);
        assert!(got.starts_with(&format!("(1, {at})")), "{got}");
    }

    #[test]
    fn what_can_call_itself_is_refused() {
        for (text, tag) in [
            (
                "{% macro f(s, n) %}{{ f(s ~ s, n - 1) }}{% endmacro %}{{ f(name, 31) }}",
                "`{% macro %}`",
            ),
            (
                "{% for x in [name] recursive %}{{ loop([x ~ x]) }}{% endfor %}",
                "a recursive loop",
            ),
            ("{% include 'x' %}", "`{% include %}`"),
        ] {
            let got = refused(text);
            assert!(
                got.contains(tag) && got.contains("not available"),
                "{text}: {got}"
            );
        }
    }

    #[test]
    fn the_budget_is_shared_by_every_text_of_a_render() {
        // 600 KB copied 1,000 times: within one text's reach, but not three times.
        let big = "x".repeat(600_000);
        let text =
            format!("{{% for i in range(1000) %}}{{% set y = '{big}' ~ name %}}{{% endfor %}}");
        let budget = TextBudget::default();
        let ctx = context();
        assert!(check(&text, &ctx, &budget).is_ok());
        let refusal = check(&text, &ctx, &budget).expect_err("the budget is spent");
        assert!(
            refusal.message.contains("could take too long"),
            "{}",
            refusal.message
        );
        // Node sets divide it.
        assert!(check(&text, &ctx, &TextBudget::shared_by(2)).is_err());
    }
}
