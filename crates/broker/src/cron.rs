//! The 5-field cron entries of `AMQ_SCHEDULED_CRON` ("min hour dom month
//! dow"), read the way ActiveMQ's `CronParser` reads them.
//!
//! ActiveMQ's dialect differs from Vixie cron in ways clients can see, so
//! this is a small parser of its own rather than a general cron crate:
//!
//! - a step `X/n` keeps the values of `X` that are *divisible* by `n`
//!   (`5-20/10` is 10 and 20, not 5 and 15);
//! - `?` means the same as `*` in every field;
//! - the accepted ranges are ActiveMQ's: minutes 0-60, hours 0-24, day of
//!   month 1-32, month 1-12, day of week 0-6 (0 is Sunday). A value that
//!   no clock shows (minute 60, hour 24, day 32) is accepted and never
//!   matches;
//! - the error texts are the Java exceptions' (`For input string: "x"`,
//!   `Invalid token: Minutes:70`), since clients see them.
//!
//! Times are computed in a time zone the caller passes in (the broker uses
//! the local one, as ActiveMQ uses the JVM's default). Where ActiveMQ's
//! search depends on the path it took (both day fields restricted), this
//! follows the usual cron rule: a day matches if either day field does.

use chrono::{Datelike, NaiveDate, TimeZone};

/// Why a cron entry was refused; the texts are ActiveMQ's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("Not a valid cron entry - wrong number of tokens({count}): {entry}")]
    TokenCount { count: usize, entry: String },
    #[error("For input string: \"{0}\"")]
    NotANumber(String),
    #[error("Invalid token: {field}:{token}")]
    InvalidToken { field: &'static str, token: String },
}

/// One field: which values it allows, as a bit set (values are below 64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Field {
    bits: u64,
    /// The field allows its whole range (`*`, or a list naming every value):
    /// only then does the other day field alone decide.
    all: bool,
}

impl Field {
    fn has(&self, v: u32) -> bool {
        v < 64 && self.bits & (1 << v) != 0
    }
}

/// A parsed cron entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    minutes: Field,
    hours: Field,
    days_of_month: Field,
    months: Field,
    days_of_week: Field,
}

/// The fields in order, with ActiveMQ's names and bounds.
const FIELDS: [(&str, i64, i64); 5] = [
    ("Minutes", 0, 60),
    ("Hours", 0, 24),
    ("DayOfMonth", 1, 32),
    ("Month", 1, 12),
    ("DayOfWeek", 0, 6),
];

/// How far ahead to look for a matching day: an entry such as `0 0 29 2 *`
/// (leap days) may wait up to eight years; nothing matching within nine
/// means nothing ever will (e.g. `0 0 31 2 *`).
const SEARCH_DAYS: i64 = 366 * 9;

impl Cron {
    /// Parses and validates an entry.
    ///
    /// # Errors
    /// [`CronError`] for a wrong token count, a non-number, or values
    /// outside a field's range.
    pub fn parse(entry: &str) -> Result<Cron, CronError> {
        // java.util.StringTokenizer's default delimiters.
        let tokens: Vec<&str> = entry
            .split([' ', '\t', '\n', '\r', '\x0c'])
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.len() != FIELDS.len() {
            return Err(CronError::TokenCount {
                count: tokens.len(),
                entry: entry.to_string(),
            });
        }
        let mut fields = [Field {
            bits: 0,
            all: false,
        }; 5];
        for (i, (token, (name, start, end))) in tokens.iter().zip(FIELDS).enumerate() {
            let mut values = values(token, start, end)?;
            values.sort_unstable();
            let invalid = || CronError::InvalidToken {
                field: name,
                token: (*token).to_string(),
            };
            let (Some(&first), Some(&last)) = (values.first(), values.last()) else {
                return Err(invalid());
            };
            if first < start || last > end {
                return Err(invalid());
            }
            let bits = values.iter().fold(0u64, |b, v| b | (1 << v));
            let full = (start..=end).fold(0u64, |b, v| b | (1 << v));
            fields[i] = Field {
                bits,
                all: bits == full,
            };
        }
        let [minutes, hours, days_of_month, months, days_of_week] = fields;
        Ok(Cron {
            minutes,
            hours,
            days_of_month,
            months,
            days_of_week,
        })
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        if !self.months.has(date.month()) {
            return false;
        }
        let dom = self.days_of_month.has(date.day());
        let dow = self.days_of_week.has(date.weekday().num_days_from_sunday());
        match (self.days_of_month.all, self.days_of_week.all) {
            (false, false) => dom || dow,
            _ => dom && dow,
        }
    }

    /// The first time after `now_ms` (milliseconds since the epoch) that
    /// the entry names, on a whole minute in `tz`; `None` if it names none
    /// in the next nine years.
    pub fn next_after<Tz: TimeZone>(&self, now_ms: i64, tz: &Tz) -> Option<i64> {
        let now = tz.timestamp_millis_opt(now_ms).earliest()?;
        let today = now.date_naive();
        for offset in 0..SEARCH_DAYS {
            let date = today.checked_add_days(chrono::Days::new(offset as u64))?;
            if !self.day_matches(date) {
                continue;
            }
            for hour in (0..24).filter(|h| self.hours.has(*h)) {
                for minute in (0..60).filter(|m| self.minutes.has(*m)) {
                    let Some(local) = date.and_hms_opt(hour, minute, 0) else {
                        continue;
                    };
                    // A local time skipped by a daylight-saving change does
                    // not exist: no firing then.
                    let Some(t) = tz.from_local_datetime(&local).earliest() else {
                        continue;
                    };
                    let t = t.timestamp_millis();
                    if t > now_ms {
                        return Some(t);
                    }
                }
            }
        }
        None
    }
}

/// Java's `Integer.parseInt`: optional sign, decimal digits, 32 bits.
fn parse_int(s: &str) -> Result<i64, CronError> {
    s.parse::<i32>()
        .map(i64::from)
        .map_err(|_| CronError::NotANumber(s.to_string()))
}

/// The values one token names, in ActiveMQ's order of interpretation:
/// `*`/`?`, then a step, then a list, then a range, then a number.
fn values(token: &str, start: i64, end: i64) -> Result<Vec<i64>, CronError> {
    if token == "*" || token == "?" {
        return Ok((start..=end).collect());
    }
    if let Some((numerator, denominator)) = token.split_once('/') {
        let n = parse_int(denominator)?;
        if n == 0 {
            // Java divides by it and fails; refuse it the same way.
            return Err(CronError::NotANumber(denominator.to_string()));
        }
        return Ok(values(numerator, start, end)?
            .into_iter()
            .filter(|v| v % n == 0)
            .collect());
    }
    if token.contains(',') {
        let mut out = Vec::new();
        for part in token.split(',').filter(|p| !p.is_empty()) {
            out.extend(values(part, start, end)?);
        }
        return Ok(out);
    }
    if let Some((first, last)) = token.split_once('-') {
        let (first, last) = (parse_int(first)?, parse_int(last)?);
        // Far outside every field's bounds either way; spare the loop.
        if last - first > 1000 {
            return Err(CronError::NotANumber(token.to_string()));
        }
        return Ok((first..=last).collect());
    }
    Ok(vec![parse_int(token)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    /// Milliseconds since the epoch of a UTC date and time.
    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .timestamp_millis()
    }

    fn next(entry: &str, now: i64) -> Option<i64> {
        Cron::parse(entry).unwrap().next_after(now, &Utc)
    }

    #[test]
    fn every_minute_fires_at_the_top_of_the_next_minute() {
        let now = at(2026, 11, 25, 10, 15, 30);
        assert_eq!(next("* * * * *", now), Some(at(2026, 11, 25, 10, 16, 0)));
        // Exactly on a minute: the next one, never the same instant.
        let on = at(2026, 11, 25, 10, 16, 0);
        assert_eq!(next("* * * * *", on), Some(at(2026, 11, 25, 10, 17, 0)));
    }

    #[test]
    fn fixed_times_roll_over_hours_days_months_and_years() {
        let now = at(2026, 11, 25, 10, 15, 30);
        assert_eq!(next("20 * * * *", now), Some(at(2026, 11, 25, 10, 20, 0)));
        assert_eq!(next("10 * * * *", now), Some(at(2026, 11, 25, 11, 10, 0)));
        assert_eq!(next("0 9 * * *", now), Some(at(2026, 11, 26, 9, 0, 0)));
        assert_eq!(
            next("30 23 31 12 *", now),
            Some(at(2026, 12, 31, 23, 30, 0))
        );
        assert_eq!(next("0 0 1 1 *", now), Some(at(2027, 1, 1, 0, 0, 0)));
        assert_eq!(next("0 12 * 3 *", now), Some(at(2027, 3, 1, 12, 0, 0)));
    }

    #[test]
    fn days_of_week_count_from_sunday() {
        // 2026-11-25 is a Wednesday.
        let now = at(2026, 11, 25, 10, 0, 0);
        assert_eq!(next("0 8 * * 0", now), Some(at(2026, 11, 29, 8, 0, 0)));
        assert_eq!(next("0 8 * * 3", now), Some(at(2026, 12, 2, 8, 0, 0)));
        assert_eq!(next("0 11 * * 3", now), Some(at(2026, 11, 25, 11, 0, 0)));
        assert_eq!(next("0 8 * * 1-5", now), Some(at(2026, 11, 26, 8, 0, 0)));
    }

    #[test]
    fn both_day_fields_restricted_means_either() {
        // The 1st of a month or a Friday, whichever comes first.
        let now = at(2026, 11, 25, 10, 0, 0);
        assert_eq!(next("0 0 1 * 5", now), Some(at(2026, 11, 27, 0, 0, 0)));
        let sat = at(2026, 11, 28, 10, 0, 0);
        assert_eq!(next("0 0 1 * 5", sat), Some(at(2026, 12, 1, 0, 0, 0)));
    }

    #[test]
    fn steps_keep_values_divisible_by_the_step_as_activemq_does() {
        let now = at(2026, 11, 25, 10, 0, 30);
        assert_eq!(next("*/15 * * * *", now), Some(at(2026, 11, 25, 10, 15, 0)));
        // ActiveMQ: 5-20/10 is {10, 20}, not {5, 15}.
        assert_eq!(
            next("5-20/10 * * * *", now),
            Some(at(2026, 11, 25, 10, 10, 0))
        );
        let later = at(2026, 11, 25, 10, 12, 0);
        assert_eq!(
            next("5-20/10 * * * *", later),
            Some(at(2026, 11, 25, 10, 20, 0))
        );
        assert_eq!(
            next("1,31 * * * *", later),
            Some(at(2026, 11, 25, 10, 31, 0))
        );
        assert_eq!(next("? ? ? ? ?", later), Some(at(2026, 11, 25, 10, 13, 0)));
    }

    #[test]
    fn leap_days_and_impossible_dates() {
        let now = at(2026, 11, 25, 10, 0, 0);
        assert_eq!(next("0 0 29 2 *", now), Some(at(2028, 2, 29, 0, 0, 0)));
        assert_eq!(next("0 0 31 2 *", now), None);
        // Accepted by ActiveMQ's bounds, shown by no clock.
        assert_eq!(next("60 * * * *", now), None);
        assert_eq!(next("0 24 * * *", now), None);
    }

    #[test]
    fn the_time_zone_decides_the_wall_clock() {
        let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
        let now = at(2026, 11, 25, 10, 0, 0); // 12:00 at +02:00
        let c = Cron::parse("0 13 * * *").unwrap();
        assert_eq!(c.next_after(now, &plus2), Some(at(2026, 11, 25, 11, 0, 0)));
    }

    #[test]
    fn bad_entries_are_refused_with_activemqs_messages() {
        let err = |e: &str| Cron::parse(e).unwrap_err().to_string();
        assert_eq!(
            err("bad"),
            "Not a valid cron entry - wrong number of tokens(1): bad"
        );
        assert_eq!(
            err("* * * *"),
            "Not a valid cron entry - wrong number of tokens(4): * * * *"
        );
        assert_eq!(err("a b c d e"), "For input string: \"a\"");
        assert_eq!(err("70 * * * *"), "Invalid token: Minutes:70");
        assert_eq!(err("* 25 * * *"), "Invalid token: Hours:25");
        assert_eq!(err("* * 0 * *"), "Invalid token: DayOfMonth:0");
        assert_eq!(err("* * * 13 *"), "Invalid token: Month:13");
        assert_eq!(err("* * * * 7"), "Invalid token: DayOfWeek:7");
        assert_eq!(err("5-1 * * * *"), "Invalid token: Minutes:5-1");
        assert!(Cron::parse("*/0 * * * *").is_err());
        assert!(Cron::parse("-5 * * * *").is_err());
        assert!(Cron::parse("0-2147483647 * * * *").is_err());
        assert!(Cron::parse("  1\t2 3 4 5 ").is_ok());
    }
}
