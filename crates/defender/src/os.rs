//! Operating systems: recognising a product and version from the many ways
//! Azure, Azure Arc and the Defender portal spell it, and whether Azure Arc and
//! Defender for Cloud's Defender for Endpoint integration support it.
//!
//! Sources (the tables below follow them):
//! * Azure Arc Connected Machine agent prerequisites, "Supported operating
//!   systems" — <https://learn.microsoft.com/azure/azure-arc/servers/prerequisites#supported-operating-systems>
//!   (MicrosoftDocs/azure-docs `articles/azure-arc/servers/prerequisites.md`;
//!   Windows Server 2012 R2, 2016, 2019, 2022, 2025; Ubuntu 16.04–24.04 LTS;
//!   Debian 10–12; CentOS 7, 8; Rocky and AlmaLinux 8, 9; SLES 12, 15; RHEL
//!   7–9; Amazon Linux 2, 2023; Oracle Linux 7–9; Azure Linux). Windows
//!   Server 2008 R2 SP1 was dropped from the list; Windows Server 2012 (not
//!   R2) never was on it.
//! * Defender for Cloud's Defender for Endpoint integration —
//!   <https://learn.microsoft.com/azure/defender-for-cloud/integration-defender-for-endpoint>:
//!   Windows Server 2012 R2 and 2016 get the *unified solution* (replacing the
//!   legacy Log Analytics/MMA-based sensor); 2019 and later use the built-in
//!   sensor; Linux through `MDE.Linux`.

use serde::{Deserialize, Serialize};

/// Windows or Linux, as far as is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum OsType {
    Windows,
    Linux,
    Unknown,
}

impl OsType {
    pub fn parse(s: &str) -> OsType {
        let l = s.to_ascii_lowercase();
        if l.contains("windows") {
            OsType::Windows
        } else if l.contains("linux")
            || Family::detect(&l).is_some_and(|f| f.os_type() == OsType::Linux)
        {
            OsType::Linux
        } else {
            OsType::Unknown
        }
    }

    /// The extension Defender for Cloud deploys for this OS type.
    pub fn mde_extension(self) -> Option<&'static str> {
        match self {
            OsType::Windows => Some("MDE.Windows"),
            OsType::Linux => Some("MDE.Linux"),
            OsType::Unknown => None,
        }
    }
}

/// Operating system families azrelo knows the support status of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    WindowsServer,
    WindowsClient,
    Ubuntu,
    Debian,
    CentOs,
    Rocky,
    Alma,
    Sles,
    Rhel,
    AmazonLinux,
    OracleLinux,
    AzureLinux,
}

impl Family {
    /// Keywords (lower case, tried in order) that name the family.
    const KEYWORDS: &'static [(&'static str, Family)] = &[
        ("windowsserver", Family::WindowsServer),
        ("windows server", Family::WindowsServer),
        ("windows-server", Family::WindowsServer),
        ("windows_server", Family::WindowsServer),
        ("windows 10", Family::WindowsClient),
        ("windows 11", Family::WindowsClient),
        ("windows10", Family::WindowsClient),
        ("windows11", Family::WindowsClient),
        ("windows-10", Family::WindowsClient),
        ("windows-11", Family::WindowsClient),
        ("ubuntu", Family::Ubuntu),
        ("debian", Family::Debian),
        ("centos", Family::CentOs),
        ("rocky", Family::Rocky),
        ("alma", Family::Alma),
        ("sles", Family::Sles),
        ("suse", Family::Sles),
        ("red hat", Family::Rhel),
        ("redhat", Family::Rhel),
        ("rhel", Family::Rhel),
        ("amazon linux", Family::AmazonLinux),
        ("amazonlinux", Family::AmazonLinux),
        ("amzn", Family::AmazonLinux),
        ("oracle", Family::OracleLinux),
        ("cbl-mariner", Family::AzureLinux),
        ("mariner", Family::AzureLinux),
        ("azure linux", Family::AzureLinux),
        ("azurelinux", Family::AzureLinux),
    ];

    fn detect(lower: &str) -> Option<Family> {
        Self::KEYWORDS
            .iter()
            .find(|(k, _)| lower.contains(k))
            .map(|(_, f)| *f)
    }

    pub fn os_type(self) -> OsType {
        match self {
            Family::WindowsServer | Family::WindowsClient => OsType::Windows,
            _ => OsType::Linux,
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            Family::WindowsServer => "Windows Server",
            Family::WindowsClient => "Windows",
            Family::Ubuntu => "Ubuntu",
            Family::Debian => "Debian",
            Family::CentOs => "CentOS",
            Family::Rocky => "Rocky Linux",
            Family::Alma => "AlmaLinux",
            Family::Sles => "SLES",
            Family::Rhel => "RHEL",
            Family::AmazonLinux => "Amazon Linux",
            Family::OracleLinux => "Oracle Linux",
            Family::AzureLinux => "Azure Linux",
        }
    }

    /// Versions the Azure Arc Connected Machine agent supports (see the module
    /// documentation for the source). `None`: the family is not an Arc
    /// server platform azrelo can judge (Windows client editions).
    fn arc_versions(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Family::WindowsServer => &["2012 R2", "2016", "2019", "2022", "2025"],
            Family::WindowsClient => return None,
            Family::Ubuntu => &["16.04", "18.04", "20.04", "22.04", "24.04"],
            Family::Debian => &["10", "11", "12"],
            Family::CentOs => &["7", "8"],
            Family::Rocky => &["8", "9"],
            Family::Alma => &["8", "9"],
            Family::Sles => &["12", "15"],
            Family::Rhel => &["7", "8", "9"],
            Family::AmazonLinux => &["2", "2023"],
            Family::OracleLinux => &["7", "8", "9"],
            Family::AzureLinux => &["2", "3"],
        })
    }
}

/// A recognised operating system product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsProduct {
    pub family: Family,
    /// Normalised version (`2012 R2`, `22.04`, `8`), when recognisable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl std::fmt::Display for OsProduct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{} {v}", self.family.display()),
            None => write!(f, "{}", self.family.display()),
        }
    }
}

/// Whether something supports an OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Support {
    Supported,
    Unsupported,
    /// The OS (or its version) could not be recognised.
    Unknown,
}

/// Windows build numbers (`osVersion` of Arc machines and VM instance views)
/// to Windows Server releases.
const WINDOWS_BUILDS: &[(&str, &str)] = &[
    ("6.1.7601", "2008 R2"),
    ("6.2.9200", "2012"),
    ("6.3.9600", "2012 R2"),
    ("10.0.14393", "2016"),
    ("10.0.17763", "2019"),
    ("10.0.20348", "2022"),
    ("10.0.26100", "2025"),
];

/// Recognise a product from any number of descriptions (most specific first:
/// an Arc `osSku`, an instance view `osName`, an image reference, a device's
/// platform and version). The first description naming a family wins; the
/// version comes from the first description yielding one.
pub fn recognise(descriptions: &[&str]) -> Option<OsProduct> {
    let lowered: Vec<String> = descriptions
        .iter()
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.to_ascii_lowercase())
        .collect();
    let family = lowered.iter().find_map(|d| Family::detect(d))?;
    let version = lowered.iter().find_map(|d| version_of(family, d));
    Some(OsProduct { family, version })
}

fn version_of(family: Family, lower: &str) -> Option<String> {
    match family {
        Family::WindowsServer => {
            // A build number ("10.0.14393.6452") is exact; a year elsewhere
            // in a dotted version must not be mistaken for the release.
            if let Some(v) = windows_build(lower) {
                return Some(v);
            }
            if lower.starts_with(|c: char| c.is_ascii_digit()) && lower.contains('.') {
                return None;
            }
            let squashed: String = lower
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            for year in ["2008", "2012", "2016", "2019", "2022", "2025"] {
                if let Some(pos) = squashed.find(year) {
                    let r2 = squashed[pos + 4..].starts_with("r2");
                    return Some(if r2 {
                        format!("{year} R2")
                    } else {
                        year.to_string()
                    });
                }
            }
            None
        }
        Family::WindowsClient => {
            if lower.contains("11") {
                Some("11".into())
            } else if lower.contains("10") {
                Some("10".into())
            } else {
                None
            }
        }
        Family::Ubuntu => {
            // "22.04", "22_04-lts-gen2", "ubuntu 20.04.6 lts", MDE's "22.4".
            let nums = numbers(lower);
            let (major, minor) = match nums.as_slice() {
                [] => return None,
                [m] if m.len() == 4 => (m[..2].to_string(), m[2..].to_string()),
                [m] => (m.clone(), "04".to_string()),
                [m, n, ..] => (m.clone(), n.clone()),
            };
            let minor: u32 = minor.parse().ok()?;
            Some(format!("{major}.{minor:02}"))
        }
        Family::AmazonLinux => {
            let nums = numbers(lower);
            nums.iter()
                .find(|n| *n == "2023")
                .or_else(|| nums.first())
                .cloned()
        }
        _ => numbers(lower).into_iter().next(),
    }
}

fn windows_build(lower: &str) -> Option<String> {
    WINDOWS_BUILDS
        .iter()
        .find(|(b, _)| lower.contains(b))
        .map(|(_, v)| v.to_string())
}

/// Runs of ASCII digits, in order (`"rhel 8.6"` → `["8", "6"]`).
fn numbers(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // Marketplace offer prefixes ("0001-com-ubuntu-server-jammy") are not versions.
    out.retain(|n| !n.starts_with("00"));
    out
}

/// Does the Azure Arc Connected Machine agent support this OS?
pub fn arc_support(os: Option<&OsProduct>) -> Support {
    let Some(os) = os else {
        return Support::Unknown;
    };
    let Some(versions) = os.family.arc_versions() else {
        return Support::Unknown;
    };
    let Some(v) = &os.version else {
        return Support::Unknown;
    };
    let major = v.split('.').next().unwrap_or(v);
    let hit = versions.iter().any(|s| {
        s.eq_ignore_ascii_case(v) || (!s.contains('.') && !s.contains(' ') && *s == major)
    });
    if hit {
        Support::Supported
    } else {
        Support::Unsupported
    }
}

/// Does Defender for Cloud's Defender for Endpoint integration cover this OS
/// (on any path)? Windows Server before 2012 R2 is not covered.
pub fn mde_integration_support(os: Option<&OsProduct>) -> Support {
    match os {
        Some(OsProduct {
            family: Family::WindowsServer,
            version: Some(v),
        }) if v == "2008" || v == "2008 R2" || v == "2012" => Support::Unsupported,
        Some(_) => Support::Supported,
        None => Support::Unknown,
    }
}

/// Windows Server 2012 R2 and 2016: the releases whose legacy, Log
/// Analytics-based MDE sensor Defender for Cloud replaces with the unified
/// solution.
pub fn is_unified_solution_release(os: Option<&OsProduct>) -> bool {
    matches!(os, Some(OsProduct { family: Family::WindowsServer, version: Some(v) }) if v == "2012 R2" || v == "2016")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(d: &[&str]) -> String {
        recognise(d).map(|o| o.to_string()).unwrap_or_default()
    }

    #[test]
    fn recognises_the_spellings_of_arc_vms_and_the_defender_portal() {
        // Arc osSku, VM image SKUs, MDE osPlatform values, instance view builds.
        assert_eq!(
            rec(&["Windows Server 2012 R2 Datacenter"]),
            "Windows Server 2012 R2"
        );
        assert_eq!(
            rec(&["WindowsServer", "2012-R2-Datacenter"]),
            "Windows Server 2012 R2"
        );
        assert_eq!(rec(&["WindowsServer2016"]), "Windows Server 2016");
        assert_eq!(
            rec(&["windows server", "10.0.17763.5329"]),
            "Windows Server 2019"
        );
        assert_eq!(
            rec(&["0001-com-ubuntu-server-jammy", "22_04-lts-gen2"]),
            "Ubuntu 22.04"
        );
        assert_eq!(rec(&["Ubuntu 22_04-lts-gen2"]), "Ubuntu 22.04");
        assert_eq!(rec(&["Ubuntu", "22.4"]), "Ubuntu 22.04");
        assert_eq!(rec(&["Red Hat Enterprise Linux 8.9 (Ootpa)"]), "RHEL 8");
        assert_eq!(rec(&["CentOS Linux 6.10"]), "CentOS 6");
        assert_eq!(rec(&["Amazon Linux 2023"]), "Amazon Linux 2023");
        assert_eq!(rec(&["SUSE Linux Enterprise Server 11 SP4"]), "SLES 11");
        assert_eq!(recognise(&["FreeBSD 13"]), None);
    }

    #[test]
    fn arc_support_follows_the_prerequisites_page() {
        let s = |d: &[&str]| arc_support(recognise(d).as_ref());
        assert_eq!(s(&["Windows Server 2012 R2 Standard"]), Support::Supported);
        assert_eq!(s(&["Windows Server 2022 Datacenter"]), Support::Supported);
        assert_eq!(
            s(&["Windows Server 2008 R2 Enterprise"]),
            Support::Unsupported
        );
        assert_eq!(s(&["Windows Server 2012 Datacenter"]), Support::Unsupported);
        assert_eq!(s(&["Ubuntu 20.04.6 LTS"]), Support::Supported);
        assert_eq!(s(&["Ubuntu 14.04 LTS"]), Support::Unsupported);
        assert_eq!(s(&["CentOS Linux 6.10"]), Support::Unsupported);
        assert_eq!(s(&["Red Hat Enterprise Linux 9.3"]), Support::Supported);
        assert_eq!(
            s(&["SUSE Linux Enterprise Server 11 SP4"]),
            Support::Unsupported
        );
        assert_eq!(s(&["Windows 10 Enterprise"]), Support::Unknown);
        assert_eq!(s(&["Linux"]), Support::Unknown);
        assert_eq!(s(&["FreeBSD"]), Support::Unknown);
    }

    #[test]
    fn unified_solution_releases_and_integration_support() {
        let os = recognise(&["Windows Server 2016 Datacenter"]);
        assert!(is_unified_solution_release(os.as_ref()));
        assert!(!is_unified_solution_release(
            recognise(&["Windows Server 2019"]).as_ref()
        ));
        assert_eq!(
            mde_integration_support(recognise(&["Windows Server 2008 R2"]).as_ref()),
            Support::Unsupported
        );
        assert_eq!(OsType::parse("Linux"), OsType::Linux);
        assert_eq!(OsType::parse("WindowsServer2016"), OsType::Windows);
        assert_eq!(OsType::parse("ubuntu"), OsType::Linux);
        assert_eq!(OsType::Windows.mde_extension(), Some("MDE.Windows"));
    }
}
