//! The wall clock, in one place: RFC 3339 timestamps for JSON events and lock records.
//! `NETFORM_CLOCK` pins it (the test harness sets it so that output is reproducible).

/// Now, as RFC 3339 in UTC with whole seconds (`2026-01-01T00:00:00Z`), or `NETFORM_CLOCK`.
pub fn now_rfc3339() -> String {
    if let Ok(t) = std::env::var("NETFORM_CLOCK") {
        return t;
    }
    let now = jiff::Timestamp::now();
    // Whole seconds, as Terraform's `@timestamp` and lock `Created` fields read.
    jiff::Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

/// Now with milliseconds (`2026-01-01T00:00:00.123Z`), or `NETFORM_CLOCK`: for log lines, where
/// the order and spacing of API calls within a second is what a reader of a slow apply needs.
pub fn now_rfc3339_millis() -> String {
    if let Ok(t) = std::env::var("NETFORM_CLOCK") {
        return t;
    }
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339_in_utc_with_whole_seconds() {
        let t = jiff::Timestamp::from_second(1_767_225_600).expect("in range");
        assert_eq!(t.to_string(), "2026-01-01T00:00:00Z");
        let now = super::now_rfc3339();
        if std::env::var("NETFORM_CLOCK").is_err() {
            assert!(now.ends_with('Z') && now.len() == 20, "{now}");
            assert!(now.parse::<jiff::Timestamp>().is_ok(), "{now}");
            let fine = super::now_rfc3339_millis();
            assert!(fine.ends_with('Z') && fine.len() == 24, "{fine}");
            assert!(fine.parse::<jiff::Timestamp>().is_ok(), "{fine}");
        }
    }
}
