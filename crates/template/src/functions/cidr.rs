//! CIDR functions (`parseCidr`, `cidrSubnet`, `cidrHost`):
//! template-functions-cidr.md; the address arithmetic is in [`crate::cidr`].

use super::*;

pub(super) const NAMES: &[&str] = &["parsecidr", "cidrsubnet", "cidrhost"];

pub(super) fn call(_ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    match c.lname {
        "parsecidr" => {
            c.need(1, 1)?;
            crate::cidr::parse_cidr(want_str(name, &v[0])?).map_err(err)
        }
        "cidrsubnet" => {
            c.need(3, 3)?;
            crate::cidr::cidr_subnet(
                want_str(name, &v[0])?,
                want_int(name, &v[1])?,
                want_int(name, &v[2])?,
            )
            .map(Value::String)
            .map_err(err)
        }
        "cidrhost" => {
            c.need(2, 2)?;
            crate::cidr::cidr_host(want_str(name, &v[0])?, want_int(name, &v[1])?)
                .map(Value::String)
                .map_err(err)
        }
        _ => Err(c.not_builtin()),
    }
}
