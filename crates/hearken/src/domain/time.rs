//! Instants are stored as Unix epoch milliseconds; the domain works with `jiff::Timestamp`.

use jiff::Timestamp;

/// Milliseconds since the Unix epoch, as stored.
pub fn to_millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

/// Converts stored milliseconds back to an instant, clamping values outside jiff's range.
pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The current instant in stored form.
pub fn now_millis() -> i64 {
    to_millis(Timestamp::now())
}

/// RFC 3339 text of a stored instant, for APIs and exports.
pub fn rfc3339(ms: i64) -> String {
    from_millis(ms).to_string()
}
