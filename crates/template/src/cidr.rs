//! The CIDR functions (`parseCidr`, `cidrSubnet`, `cidrHost`) for IPv4 and IPv6,
//! with the semantics and output format of the template-functions-cidr reference.

use crate::value::Value;
use indexmap::IndexMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

struct Net {
    addr: u128,
    prefix: u32,
    v6: bool,
}

impl Net {
    fn bits(&self) -> u32 {
        if self.v6 { 128 } else { 32 }
    }
    fn mask(&self) -> u128 {
        let b = self.bits();
        if self.prefix == 0 {
            0
        } else {
            (u128::MAX >> (128 - b)) & !((1u128 << (b - self.prefix)) - 1)
        }
    }
    fn size(&self) -> u128 {
        1u128 << (self.bits() - self.prefix).min(127)
    }
    fn show(&self, a: u128) -> String {
        if self.v6 {
            Ipv6Addr::from(a).to_string()
        } else {
            Ipv4Addr::from(a as u32).to_string()
        }
    }
}

fn parse(s: &str) -> Result<Net, String> {
    let (ip, prefix) = s
        .split_once('/')
        .ok_or_else(|| format!("'{s}' is not in CIDR notation (address/prefix)"))?;
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| format!("'{ip}' is not a valid IP address"))?;
    let prefix: u32 = prefix
        .parse()
        .map_err(|_| format!("'{prefix}' is not a valid prefix length"))?;
    let (addr, v6) = match ip {
        IpAddr::V4(a) => (u32::from(a) as u128, false),
        IpAddr::V6(a) => (u128::from(a), true),
    };
    let n = Net { addr, prefix, v6 };
    if prefix > n.bits() {
        return Err(format!("the prefix length {prefix} is too long for '{s}'"));
    }
    Ok(Net {
        addr: addr & n.mask(),
        ..n
    })
}

/// `parseCidr(network)`: `network`, `netmask`, `broadcast` (IPv4 only),
/// `firstUsable`, `lastUsable`, `cidr`, as template-functions-cidr.md shows.
pub fn parse_cidr(s: &str) -> Result<Value, String> {
    let n = parse(s)?;
    let last = n.addr | (!n.mask() & (u128::MAX >> (128 - n.bits())));
    let mut o = IndexMap::new();
    o.insert("network".to_string(), Value::String(n.show(n.addr)));
    // IPv6 has a netmask too (the reference's example:
    // parseCidr('fdad:3236:5555::/48').netmask is 'ffff:ffff:ffff::').
    o.insert("netmask".to_string(), Value::String(n.show(n.mask())));
    if !n.v6 {
        o.insert("broadcast".to_string(), Value::String(n.show(last)));
    }
    // IPv6 has no broadcast; /31 and /32 IPv4 networks have no reserved addresses.
    let (first_usable, last_usable) = if n.v6 || n.prefix >= 31 {
        (n.addr, last)
    } else {
        (n.addr + 1, last - 1)
    };
    o.insert(
        "firstUsable".to_string(),
        Value::String(n.show(first_usable)),
    );
    o.insert("lastUsable".to_string(), Value::String(n.show(last_usable)));
    o.insert("cidr".to_string(), Value::Int(n.prefix as i64));
    Ok(Value::Object(o))
}

/// `cidrSubnet(network, newCIDR, subnetIndex)`.
pub fn cidr_subnet(s: &str, new_prefix: i64, index: i64) -> Result<String, String> {
    let n = parse(s)?;
    if new_prefix < n.prefix as i64 || new_prefix > n.bits() as i64 {
        return Err(format!(
            "cidrSubnet(): the new prefix {new_prefix} must be between {} and {}",
            n.prefix,
            n.bits()
        ));
    }
    let sub = Net {
        addr: 0,
        prefix: new_prefix as u32,
        v6: n.v6,
    };
    let count = 1u128 << (new_prefix as u32 - n.prefix).min(127);
    if index < 0 || index as u128 >= count {
        return Err(format!(
            "cidrSubnet(): subnet index {index} is out of range (0 to {})",
            count - 1
        ));
    }
    let addr = n.addr + index as u128 * sub.size();
    Ok(format!("{}/{}", n.show(addr), new_prefix))
}

/// `cidrHost(network, hostIndex)`: the index-th usable host address.
pub fn cidr_host(s: &str, index: i64) -> Result<String, String> {
    let n = parse(s)?;
    let usable = if n.v6 || n.prefix >= 31 {
        n.size()
    } else {
        n.size() - 2
    };
    if index < 0 || index as u128 >= usable {
        return Err(format!(
            "cidrHost(): host index {index} is out of range for '{s}'"
        ));
    }
    let first = if n.prefix >= 31 && !n.v6 {
        n.addr
    } else {
        n.addr + 1
    };
    Ok(n.show(first + index as u128))
}
