//! Small JSON, time and text helpers shared by the platform parsers.
//!
//! All helpers are total: wrong types, missing fields and out-of-range numbers
//! yield `None` (or an `Err` string for per-entry reporting), never a panic.

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::model::{InboundEvent, ParseError};

/// A JSON object.
pub(crate) type Obj = Map<String, Value>;

/// Result of parsing one entry: its events, or why the entry is invalid.
pub(crate) type EntryResult = Result<Vec<InboundEvent>, String>;

/// Decode a JSON body, tolerating a leading UTF-8 byte-order mark.
pub(crate) fn decode(body: &[u8]) -> Result<Value, ParseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    Ok(serde_json::from_slice(body)?)
}

/// Turn a per-entry result into events: an error becomes one `Invalid` event.
pub(crate) fn flatten(result: EntryResult, out: &mut Vec<InboundEvent>) {
    match result {
        Ok(events) => out.extend(events),
        Err(reason) => out.push(InboundEvent::invalid(reason)),
    }
}

/// The value as an object, or an error naming `what`.
pub(crate) fn as_obj<'a>(v: &'a Value, what: &str) -> Result<&'a Obj, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} is not a JSON object"))
}

/// A non-empty string field.
pub(crate) fn str_field<'a>(o: &'a Obj, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// An object field.
pub(crate) fn obj_field<'a>(o: &'a Obj, key: &str) -> Option<&'a Obj> {
    o.get(key).and_then(Value::as_object)
}

/// An array field (missing or wrong type = empty).
pub(crate) fn arr_field<'a>(o: &'a Obj, key: &str) -> &'a [Value] {
    o.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An id given either as a non-empty string or as an integer.
pub(crate) fn id_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// An id field given as string or integer.
pub(crate) fn id_field(o: &Obj, key: &str) -> Option<String> {
    o.get(key).and_then(id_value)
}

/// A required id field, or an error naming it.
pub(crate) fn need_id(o: &Obj, key: &str, what: &str) -> Result<String, String> {
    id_field(o, key).ok_or_else(|| format!("{what} lacks a usable `{key}`"))
}

/// A non-negative integer given as a number or a digit string.
pub(crate) fn u64_field(o: &Obj, key: &str) -> Option<u64> {
    match o.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Epoch seconds or milliseconds (numbers above 10^11 are taken as milliseconds).
pub(crate) fn epoch(v: &Value) -> Option<Timestamp> {
    let n: f64 = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    if !n.is_finite() || !(0.0..=1e15).contains(&n) {
        return None;
    }
    if n > 1e11 {
        Timestamp::from_millisecond(n as i64).ok()
    } else {
        Timestamp::from_second(n as i64).ok()
    }
}

/// An epoch field (seconds or milliseconds).
pub(crate) fn epoch_field(o: &Obj, key: &str) -> Option<Timestamp> {
    o.get(key).and_then(epoch)
}

/// An RFC 3339 timestamp field.
pub(crate) fn rfc3339_field(o: &Obj, key: &str) -> Option<Timestamp> {
    str_field(o, key)?.parse().ok()
}

/// Strip a Reddit-style `t1_` / `t3_` ... type prefix from a fullname.
pub(crate) fn strip_fullname(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() > 3 && b[0] == b't' && b[1].is_ascii_digit() && b[2] == b'_' {
        &s[3..]
    } else {
        s
    }
}

/// Parse a body that may be JSON Lines: each non-blank line is one document.
/// A line that is not valid JSON yields an `Invalid` event and the rest continue.
pub fn parse_json_lines<F>(body: &[u8], mut parse_one: F) -> Vec<InboundEvent>
where
    F: FnMut(&[u8]) -> Result<Vec<InboundEvent>, ParseError>,
{
    let mut out = Vec::new();
    for (n, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_one(line) {
            Ok(events) => out.extend(events),
            Err(e) => out.push(InboundEvent::invalid(format!("line {}: {e}", n + 1))),
        }
    }
    out
}
