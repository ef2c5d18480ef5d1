//! Timestamps on the wire: RFC 3339 in UTC with milliseconds (`2026-11-28T15:08:51.123Z`),
//! held as milliseconds since the Unix epoch. Hand-written so the widget does not carry a date
//! library: it only needs the milliseconds for relative times.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn to_rfc3339(self) -> String {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` (UTC only, which is all this API emits).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
            return None;
        }
        if b[16] != b':' || *b.last()? != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let frac = &s[19..s.len() - 1];
        let millis = match frac.strip_prefix('.') {
            None if frac.is_empty() => 0,
            Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => {
                // Keep the first three digits: milliseconds.
                let padded = format!("{f:0<3}");
                padded[..3].parse::<i64>().ok()?
            }
            _ => return None,
        };
        let days = days_from_civil(y, mo, d);
        Some(Self(
            ((days * 86_400) + h * 3600 + mi * 60 + sec) * 1000 + millis,
        ))
    }
}

// Howard Hinnant's algorithms (public domain): proleptic Gregorian calendar <-> day number.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 UTC timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        // 2026-11-28T15:08:51.123Z, checked with `date -u -d @1795878531`.
        assert_eq!(
            Timestamp(1_795_878_531_123).to_rfc3339(),
            "2026-11-28T15:08:51.123Z"
        );
        assert_eq!(
            Timestamp(951_782_400_000).to_rfc3339(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(Timestamp(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn round_trips() {
        for ms in [
            0,
            1,
            999,
            86_399_999,
            951_782_400_000,
            1_795_878_531_123,
            -86_400_001,
        ] {
            let t = Timestamp(ms);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t), "{ms}");
        }
    }

    #[test]
    fn parses_without_or_with_long_fraction() {
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:01Z"),
            Some(Timestamp(1000))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:01.5Z"),
            Some(Timestamp(1500))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:01.123456Z"),
            Some(Timestamp(1123))
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-28T15:08:51+01:00",
            "2026-11-28 15:08:51Z",
            "2026-11-28T15:08:51.Z",
            "+026-11-28T15:08:51Z",
            "2026-11-28T15:08:51.12a4Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s), None, "{s}");
        }
    }
}
