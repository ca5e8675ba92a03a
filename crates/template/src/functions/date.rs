//! Date functions (`utcNow`, `dateTimeAdd`, `dateTimeFromEpoch`,
//! `dateTimeToEpoch`): template-functions-date.md.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "utcnow",
    "datetimeadd",
    "datetimefromepoch",
    "datetimetoepoch",
];

pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    match c.lname {
        "utcnow" => {
            c.need(0, 1)?;
            if !ev.ctx.in_parameter_default() {
                return Err(err(
                    "utcNow() can only be used in the default value of a parameter",
                ));
            }
            let now = crate::date::parse(&ev.ctx.deployment().now)
                .ok_or_else(|| err("the deployment context's 'now' is not an RFC 3339 time"))?;
            let fmt = match v.first() {
                Some(f) => want_str(name, f)?.to_string(),
                None => "yyyyMMddTHHmmssZ".to_string(),
            };
            Ok(Value::String(crate::date::format(&now, &fmt)))
        }
        "datetimeadd" => {
            c.need(2, 3)?;
            let base = want_str(name, &v[0])?;
            let t = crate::date::parse(base)
                .ok_or_else(|| err(format!("dateTimeAdd(): '{base}' is not a date-time")))?;
            let d = want_str(name, &v[1])?;
            let secs = crate::date::parse_duration(d)
                .ok_or_else(|| err(format!("dateTimeAdd(): '{d}' is not an ISO 8601 duration")))?;
            let t2 = t.add_seconds(secs);
            let fmt = match v.get(2) {
                Some(f) => want_str(name, f)?.to_string(),
                None => "yyyy-MM-ddTHH:mm:ssZ".to_string(),
            };
            Ok(Value::String(crate::date::format(&t2, &fmt)))
        }
        "datetimefromepoch" => {
            c.need(1, 1)?;
            let t = crate::date::DateTime::from_epoch(want_int(name, &v[0])?);
            Ok(Value::String(crate::date::format(
                &t,
                "yyyy-MM-ddTHH:mm:ssZ",
            )))
        }
        "datetimetoepoch" => {
            c.need(1, 1)?;
            let s = want_str(name, &v[0])?;
            let t = crate::date::parse(s)
                .ok_or_else(|| err(format!("dateTimeToEpoch(): '{s}' is not a date-time")))?;
            Ok(Value::Int(t.epoch()))
        }
        _ => Err(c.not_builtin()),
    }
}
