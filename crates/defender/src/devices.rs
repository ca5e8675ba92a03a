//! The Defender portal's device list: the device inventory CSV export
//! (Assets → Devices → Export) and the Defender for Endpoint machines API
//! (`GET https://api.securitycenter.microsoft.com/api/machines`, JSON with a
//! `value` array of machine entities:
//! <https://learn.microsoft.com/defender-endpoint/api/machine>).
//!
//! Column names of the portal export vary between tenants and portal versions
//! ("Device Name" / "Name", "Health Status" / "Sensor health state", …), so
//! headers are matched after normalisation (lower case, letters and digits
//! only) against a list of aliases, and the API's property names are aliases
//! too. Unknown columns are ignored; a file without a device-name column is an
//! error naming the columns it has.

use crate::model::Device;
use serde_json::Value;

/// A device file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct DeviceFileError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    DeviceId,
    OsPlatform,
    OsVersion,
    OsDistribution,
    Health,
    Onboarding,
    Cloud,
    AzureResourceId,
    VmId,
    ManagedBy,
    Tags,
}

/// Normalised header → field. Portal export columns first, API names after.
const ALIASES: &[(&str, Field)] = &[
    ("devicename", Field::Name),
    ("name", Field::Name),
    ("computername", Field::Name),
    ("computerdnsname", Field::Name),
    ("hostname", Field::Name),
    ("deviceid", Field::DeviceId),
    ("machineid", Field::DeviceId),
    ("id", Field::DeviceId),
    ("osplatform", Field::OsPlatform),
    ("platform", Field::OsPlatform),
    ("osversion", Field::OsVersion),
    ("version", Field::OsVersion),
    ("osversioninfo", Field::OsVersion),
    ("osdistribution", Field::OsDistribution),
    ("healthstatus", Field::Health),
    ("sensorhealthstate", Field::Health),
    ("health", Field::Health),
    ("onboardingstatus", Field::Onboarding),
    ("cloudplatforms", Field::Cloud),
    ("cloudplatform", Field::Cloud),
    ("cloudprovider", Field::Cloud),
    ("azureresourceid", Field::AzureResourceId),
    ("resourceid", Field::AzureResourceId),
    ("vmid", Field::VmId),
    ("managedby", Field::ManagedBy),
    ("tags", Field::Tags),
    ("devicetags", Field::Tags),
    ("machinetags", Field::Tags),
];

fn normalise(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn field_of(header: &str) -> Option<Field> {
    let n = normalise(header);
    ALIASES.iter().find(|(a, _)| *a == n).map(|(_, f)| *f)
}

/// Does this text look like a device export (CSV) rather than JSON?
pub fn looks_like_csv(text: &str) -> bool {
    let first = text.trim_start_matches('\u{feff}').trim_start();
    !(first.starts_with('{') || first.starts_with('['))
}

/// Does this JSON value hold Defender for Endpoint machine entities?
pub fn is_device_json(v: &Value) -> bool {
    let first = match v {
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_array)
            .and_then(|a| a.first()),
        Value::Array(a) => a.first(),
        _ => None,
    };
    first.is_some_and(|f| f.get("computerDnsName").is_some() && f.get("osPlatform").is_some())
}

/// CSV records with the line each starts on; or the line of a syntax error and why.
type Records = Result<Vec<(usize, Vec<String>)>, (usize, String)>;

/// Split CSV text into records (RFC 4180, read by the `csv` crate: quoted
/// fields with `""` escapes and embedded separators or line breaks), with
/// the 1-based line each record starts on; blank rows are dropped. The
/// separator is `,` unless the header line has more `;` or tabs.
fn records(text: &str) -> Records {
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text.lines().next().unwrap_or("");
    let sep = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|c| header_line.bytes().filter(|b| b == c).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    // Lines are counted from byte offsets (the reader reports a record's
    // start before the previous line break is consumed), incrementally.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1usize);
    loop {
        let mut start = (reader.position().byte() as usize).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        line += bytes[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = start;
        match reader.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err((line, e.to_string()));
            }
        }
        let fields: Vec<String> = rec.iter().map(str::to_string).collect();
        if fields.iter().any(|f| !f.trim().is_empty()) {
            out.push((line, fields));
        }
    }
    // The csv reader ends an unclosed quoted field at the end of the input
    // silently: that field swallowed the line breaks after it, and the
    // quotes of the text do not pair up (escapes come in pairs).
    if text.bytes().filter(|&b| b == b'"').count() % 2 == 1
        && let Some((line, fields)) = out.last()
        && fields.last().is_some_and(|f| f.contains(['\n', '\r']))
    {
        return Err((*line, "a quoted field is not closed".into()));
    }
    Ok(out)
}

/// Read a device inventory CSV export.
pub fn parse_csv(text: &str, file: &str) -> Result<Vec<Device>, DeviceFileError> {
    let err = |line: Option<usize>, message: String| DeviceFileError {
        file: file.to_string(),
        line,
        message,
    };
    let recs = records(text).map_err(|(l, m)| err(Some(l), m))?;
    let Some(((_, header), rows)) = recs.split_first() else {
        return Err(err(None, "the file is empty".into()));
    };
    let columns: Vec<Option<Field>> = header.iter().map(|h| field_of(h)).collect();
    if !columns.contains(&Some(Field::Name)) {
        return Err(err(
            Some(1),
            format!(
                "no device name column (expected 'Device Name'); the header has: {}",
                header.join(", ")
            ),
        ));
    }
    let mut devices = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let mut d = Device {
            name: String::new(),
            device_id: None,
            os_platform: None,
            os_version: None,
            health: None,
            onboarding: None,
            cloud: None,
            azure_resource_id: None,
            vm_id: None,
            managed_by: None,
            tags: Vec::new(),
            source: format!("{file}:{line}"),
        };
        let mut distribution = None;
        for (i, value) in row.iter().enumerate() {
            let value = value.trim();
            if value.is_empty() || value == "-" {
                continue;
            }
            let Some(Some(f)) = columns.get(i) else {
                continue;
            };
            set(&mut d, *f, value, &mut distribution);
        }
        if d.name.is_empty() {
            return Err(err(
                Some(*line),
                "a device row without a device name".into(),
            ));
        }
        finish(&mut d, distribution);
        devices.push(d);
    }
    Ok(devices)
}

fn set(d: &mut Device, f: Field, value: &str, distribution: &mut Option<String>) {
    let v = Some(value.to_string());
    match f {
        Field::Name => {
            if d.name.is_empty() {
                d.name = value.to_string();
            }
        }
        Field::DeviceId => d.device_id = d.device_id.take().or(v),
        Field::OsPlatform => d.os_platform = v,
        Field::OsVersion => d.os_version = d.os_version.take().or(v),
        Field::OsDistribution => *distribution = v,
        Field::Health => d.health = d.health.take().or(v),
        Field::Onboarding => d.onboarding = v,
        Field::Cloud => d.cloud = v,
        Field::AzureResourceId => {
            if value.starts_with('/') {
                d.azure_resource_id = v
            }
        }
        Field::VmId => d.vm_id = v,
        Field::ManagedBy => d.managed_by = v,
        Field::Tags => {
            d.tags.extend(
                value
                    .split([',', ';', '|'])
                    .map(|t| t.trim().trim_matches(['[', ']', '"']).trim().to_string())
                    .filter(|t| !t.is_empty()),
            );
        }
    }
}

/// Linux devices report `Linux` as platform and the distribution separately.
fn finish(d: &mut Device, distribution: Option<String>) {
    if let Some(dist) = distribution {
        d.os_platform = Some(match d.os_platform.take() {
            Some(p) if !p.eq_ignore_ascii_case(&dist) => format!("{p} {dist}"),
            _ => dist,
        });
    }
}

/// Read Defender for Endpoint machine entities (`{"value": [...]}` or a bare array).
pub fn parse_json(v: &Value, file: &str) -> Result<Vec<Device>, DeviceFileError> {
    let items = match v {
        Value::Object(o) => o.get("value").and_then(Value::as_array),
        Value::Array(a) => Some(a),
        _ => None,
    }
    .ok_or_else(|| DeviceFileError {
        file: file.to_string(),
        line: None,
        message: "expected a Defender for Endpoint machine list ({\"value\": [...]})".into(),
    })?;
    let mut out = Vec::new();
    for (i, m) in items.iter().enumerate() {
        let s = |k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
        };
        let Some(name) = s("computerDnsName") else {
            return Err(DeviceFileError {
                file: file.to_string(),
                line: None,
                message: format!("machine /value/{i} has no computerDnsName"),
            });
        };
        let vm = m.get("vmMetadata").filter(|x| x.is_object());
        let vs = |k: &str| {
            vm.and_then(|x| x.get(k))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
        };
        out.push(Device {
            name,
            device_id: s("id"),
            os_platform: s("osPlatform"),
            os_version: s("version").or_else(|| s("osVersion")),
            health: s("healthStatus"),
            onboarding: s("onboardingStatus").or_else(|| s("onboardingstatus")),
            cloud: vs("cloudProvider"),
            azure_resource_id: vs("resourceId").filter(|r| r.starts_with('/')),
            vm_id: vs("vmId"),
            managed_by: s("managedBy"),
            tags: m
                .get("machineTags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            source: format!("{file}:/value/{i}"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_bom_and_aliases() {
        let text = "\u{feff}Device Id,Device Name,OS Platform,OS Distribution,OS Version,Sensor health state,Onboarding Status,Tags,Cloud Platforms\r\n\
            a1,WEB01.contoso.local,WindowsServer2016,,1607,Active,Onboarded,\"[\"\"Prod\"\", \"\"Web\"\"]\",\r\n\
            \r\n\
            b2,app-linux-02,Linux,Ubuntu,22.4,Inactive,Onboarded,,AWS\r\n";
        let d = parse_csv(text, "devices.csv").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].name, "WEB01.contoso.local");
        assert_eq!(d[0].tags, vec!["Prod", "Web"]);
        assert_eq!(d[0].source, "devices.csv:2");
        assert_eq!(d[1].os_platform.as_deref(), Some("Linux Ubuntu"));
        assert_eq!(d[1].health.as_deref(), Some("Inactive"));
        assert_eq!(d[1].cloud.as_deref(), Some("AWS"));
        assert_eq!(d[1].source, "devices.csv:4");
    }

    #[test]
    fn csv_errors_name_the_problem() {
        let e = parse_csv("Foo,Bar\n1,2\n", "x.csv").unwrap_err();
        assert!(e.to_string().contains("no device name column"), "{e}");
        assert!(e.to_string().contains("Foo, Bar"), "{e}");
        let e = parse_csv("Device Name,OS Platform\n\"open,Linux\n", "x.csv").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(parse_csv("", "x.csv").is_err());
    }

    #[test]
    fn semicolon_separated_exports() {
        let d = parse_csv("Device Name;OS Platform\nsrv1;WindowsServer2019\n", "x.csv").unwrap();
        assert_eq!(d[0].os_platform.as_deref(), Some("WindowsServer2019"));
    }

    #[test]
    fn machines_api_json() {
        let v = serde_json::json!({"value": [{
            "id": "1e5bc9d7e413ddd7902c2932e418702b84d0cc07",
            "computerDnsName": "ec2-build-01",
            "osPlatform": "Linux",
            "version": "22.4",
            "healthStatus": "Active",
            "onboardingStatus": "Onboarded",
            "machineTags": ["aws"],
            "vmMetadata": {"vmId": "i-0abc", "cloudProvider": "AWS", "resourceId": null, "subscriptionId": null}
        }]});
        assert!(is_device_json(&v));
        let d = parse_json(&v, "m.json").unwrap();
        assert_eq!(d[0].cloud.as_deref(), Some("AWS"));
        assert_eq!(d[0].vm_id.as_deref(), Some("i-0abc"));
        assert_eq!(d[0].azure_resource_id, None);
    }
}
