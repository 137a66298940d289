//! Cron schedules as the CronJob controller parses them (robfig/cron's standard parser):
//! five fields, or a descriptor such as `@daily` or `@every 1h30m`. The API server refuses
//! a CronJob whose schedule that parser rejects, so the render refuses it first.

/// Each field's name, lowest and highest value, and names for values (months, weekdays).
const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    (
        "month",
        1,
        12,
        &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    ),
    (
        "day of week",
        0,
        6,
        &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    ),
];

const DESCRIPTORS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// Why the controller would reject `schedule`; `None` when it parses.
pub(crate) fn schedule_problem(schedule: &str) -> Option<String> {
    let schedule = schedule.trim();
    if let Some(every) = schedule.strip_prefix("@every ") {
        return (!go_duration(every.trim()))
            .then(|| format!("`{every}` is not a duration (such as `1h30m`)"));
    }
    if schedule.starts_with('@') {
        return (!DESCRIPTORS.contains(&schedule.to_ascii_lowercase().as_str())).then(|| {
            format!(
                "`{schedule}` is not a schedule descriptor ({})",
                DESCRIPTORS.join(", ")
            )
        });
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Some("five fields are needed, such as `0 3 * * *`".into());
    }
    fields
        .iter()
        .zip(FIELDS)
        .find_map(|(field, (what, low, high, names))| {
            field
                .split(',')
                .find_map(|part| part_problem(part, low, high, names))
                .map(|why| format!("the {what} field `{field}`: {why}"))
        })
}

/// Why one list element (`*`, `5`, `1-5`, `*/15`, `mon-fri`, `10/5`) is not valid.
fn part_problem(part: &str, low: u32, high: u32, names: &[&str]) -> Option<String> {
    let (range, step) = match part.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (part, None),
    };
    if let Some(step) = step {
        match step.parse::<u32>() {
            Ok(n) if n > 0 => {}
            _ => return Some(format!("the step `{step}` is not a positive number")),
        }
    }
    if range == "*" || range == "?" {
        return None;
    }
    let value = |v: &str| -> Result<u32, String> {
        let found = names.iter().position(|n| n.eq_ignore_ascii_case(v));
        let n = match found {
            Some(i) => low + i as u32,
            None => v.parse().map_err(|_| format!("`{v}` is not a number"))?,
        };
        if n < low || n > high {
            return Err(format!("{n} is not in {low}..{high}"));
        }
        Ok(n)
    };
    let (start, end) = match range.split_once('-') {
        Some((a, b)) => (value(a), value(b)),
        None => (value(range), Ok(0)),
    };
    match (start, end) {
        (Err(e), _) | (_, Err(e)) => Some(e),
        (Ok(a), Ok(b)) if range.contains('-') && a > b => {
            Some(format!("the range `{range}` runs backwards"))
        }
        _ => None,
    }
}

/// A Go duration: numbers with units (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), such as `1h30m`
/// or `1.5h`.
fn go_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 || rest[..digits].parse::<f64>().is_err() {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| rest.starts_with(**u) && !(**u == "m" && rest.starts_with("ms")));
        let Some(unit) = unit else { return false };
        rest = &rest[unit.len()..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_the_controller_accepts() {
        for s in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1,15 * mon-fri",
            "5-10/2 0-23 ? JAN-DEC SUN",
            "59 23 31 12 6",
            "10/5 * * * *",
            "@daily",
            "@Hourly",
            "@every 1h30m",
            "@every 1.5h",
        ] {
            assert_eq!(schedule_problem(s), None, "{s}");
        }
    }

    #[test]
    fn schedules_it_refuses() {
        for (s, why) in [
            ("61 * * * *", "the minute field `61`: 61 is not in 0..59"),
            ("0 24 * * *", "the hour field `24`: 24 is not in 0..23"),
            ("0 0 0 * *", "the day of month field `0`: 0 is not in 1..31"),
            ("0 0 * 13 *", "the month field `13`: 13 is not in 1..12"),
            ("0 0 * * 7", "the day of week field `7`: 7 is not in 0..6"),
            ("0 0 * * fri-mon", "the day of week field `fri-mon`: the range `fri-mon` runs backwards"),
            ("*/0 * * * *", "the minute field `*/0`: the step `0` is not a positive number"),
            ("0 3 * *", "five fields are needed, such as `0 3 * * *`"),
            ("x * * * *", "the minute field `x`: `x` is not a number"),
            ("@nightly", "`@nightly` is not a schedule descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"),
            ("@every 1d", "`1d` is not a duration (such as `1h30m`)"),
        ] {
            assert_eq!(schedule_problem(s).as_deref(), Some(why), "{s}");
        }
    }
}
