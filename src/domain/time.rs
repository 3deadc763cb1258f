//! Dates and times as people in the province read and write them: China Standard Time
//! (UTC+8, no daylight saving), `YYYY-MM-DD` dates and `YYYY-MM-DDTHH:MM` local times as
//! the browser's date fields send them. Pure: the server's clock is read at the edges
//! (`crate::now_ms`) and passed in.

/// China Standard Time's offset from UTC in seconds.
const CST_SECONDS: i64 = 8 * 3600;

/// `YYYY-MM-DD` as a calendar date (a real date: no 2 月 30 日).
pub fn parse_date(s: &str) -> Option<time::Date> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// Parses a local (China Standard Time) date and time as the browser's
/// `datetime-local` field sends it (`YYYY-MM-DDTHH:MM`, seconds ignored), to
/// milliseconds since the epoch.
pub fn parse_local_time(s: &str) -> Option<i64> {
    let s = s.trim().replace(' ', "T");
    let (date, clock) = s.split_once('T')?;
    let (h, m) = clock.split_once(':')?;
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let minutes = m.get(..2)?;
    if !minutes.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = time::Time::from_hms(h.parse().ok()?, minutes.parse().ok()?, 0).ok()?;
    let dt = time::PrimitiveDateTime::new(parse_date(date)?, t);
    let offset = time::UtcOffset::from_whole_seconds(CST_SECONDS as i32).ok()?;
    Some((dt.assume_offset(offset).unix_timestamp_nanos() / 1_000_000) as i64)
}

fn cst(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000) + CST_SECONDS)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// A moment as China Standard Time, `YYYY-MM-DD HH:MM` (the inverse of
/// [`parse_local_time`], with a space for the `T`).
pub fn local_time(ms: i64) -> String {
    let t = cst(ms);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `hh:mm:ss` (China Standard Time) of a moment: "saved at" and log times.
pub fn clock_time(ms: i64) -> String {
    let s = (ms.div_euclid(1000) + CST_SECONDS).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The calendar date (China Standard Time) of a moment.
pub fn local_date(ms: i64) -> time::Date {
    cst(ms).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_round_trip_in_china_standard_time() {
        let ms = parse_local_time("2026-12-04T09:30").unwrap();
        // 09:30 in Nanjing is 01:30 UTC.
        assert_eq!(ms % 86_400_000, 90 * 60_000);
        assert_eq!(local_time(ms), "2026-12-04 09:30");
        assert_eq!(parse_local_time("2026-12-04 09:30"), Some(ms));
        assert_eq!(clock_time(ms + 5_000), "09:30:05");
        assert_eq!(local_date(ms).to_string(), "2026-12-04");
    }

    #[test]
    fn bad_dates_and_times_are_refused() {
        for s in [
            "",
            "2026-02-30T09:00",
            "2026-12-04",
            "2026-12-04T25:00",
            "2026-12-04T9:+5",
            "x",
        ] {
            assert_eq!(parse_local_time(s), None, "{s:?}");
        }
        assert!(parse_date("2026-02-29").is_none());
        assert!(parse_date("2028-02-29").is_some());
        assert!(parse_date("2026-1-01").is_none());
    }
}
