//! The date of a providers snapshot.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The date a snapshot of ARM was taken: `YYYY-MM` or `YYYY-MM-DD`.
///
/// ```
/// use azrelo_arm::availability::SnapshotDate;
/// let d: SnapshotDate = "2023-11".parse().unwrap();
/// assert_eq!(d.to_string(), "2023-11");
/// assert!(d < "2024-01-15".parse().unwrap());
/// assert!("2023-13".parse::<SnapshotDate>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnapshotDate {
    year: u16,
    month: u8,
    /// 0 when only the month is known.
    day: u8,
}

impl SnapshotDate {
    /// A date with a day; `None` when out of range.
    pub fn ymd(year: u16, month: u8, day: u8) -> Option<SnapshotDate> {
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(SnapshotDate {
            year,
            month,
            day,
        })
    }

    /// A month; `None` when out of range.
    pub fn ym(year: u16, month: u8) -> Option<SnapshotDate> {
        (1..=12).contains(&month).then_some(SnapshotDate {
            year,
            month,
            day: 0,
        })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// The day, when the date has one.
    pub fn day(self) -> Option<u8> {
        (self.day != 0).then_some(self.day)
    }
}

impl fmt::Display for SnapshotDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)?;
        if self.day != 0 {
            write!(f, "-{:02}", self.day)?;
        }
        Ok(())
    }
}

/// `s` is not a `YYYY-MM` or `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a snapshot date (expected YYYY-MM or YYYY-MM-DD, e.g. 2023-11)")]
pub struct DateError(pub String);

impl FromStr for SnapshotDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DateError(s.to_string());
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Option<u16> {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        match parts.as_slice() {
            [y, m] => {
                SnapshotDate::ym(num(y, 4).ok_or_else(err)?, num(m, 2).ok_or_else(err)? as u8)
                    .ok_or_else(err)
            }
            [y, m, d] => SnapshotDate::ymd(
                num(y, 4).ok_or_else(err)?,
                num(m, 2).ok_or_else(err)? as u8,
                num(d, 2).ok_or_else(err)? as u8,
            )
            .ok_or_else(err),
            _ => Err(err()),
        }
    }
}

impl Serialize for SnapshotDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
