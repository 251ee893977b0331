//! Payment-card numbers in free text: found by shape (13 to 19 digits, optionally
//! separated by single spaces or dashes) and confirmed by the Luhn checksum, then masked.

/// What replaces a card number.
pub const MASK: &str = "[card number removed]";

/// The Luhn checksum over ASCII digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Byte ranges of card numbers in `text`.
pub fn find(text: &str) -> Vec<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts_run = b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit());
        if !starts_run {
            i += 1;
            continue;
        }
        let (end, digits) = run(b, i);
        if (13..=19).contains(&digits.len()) && luhn_valid(&digits) {
            found.push(i..end);
        }
        i = end.max(i + 1);
    }
    found
}

/// The digit run starting at `start`, allowing single space or dash separators.
fn run(b: &[u8], start: usize) -> (usize, Vec<u8>) {
    let mut digits = Vec::new();
    let mut end = start;
    let mut j = start;
    while j < b.len() {
        if b[j].is_ascii_digit() {
            digits.push(b[j]);
            j += 1;
            end = j;
        } else if (b[j] == b' ' || b[j] == b'-')
            && j + 1 < b.len()
            && b[j + 1].is_ascii_digit()
            && j > start
        {
            j += 1;
        } else {
            break;
        }
    }
    (end, digits)
}

/// The text with every card number masked, or `None` when it has none.
pub fn mask(text: &str) -> Option<String> {
    let ranges = find(text);
    if ranges.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in ranges {
        out.push_str(&text[last..r.start]);
        out.push_str(MASK);
        last = r.end;
    }
    out.push_str(&text[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_known_test_numbers_and_rejects_a_changed_digit() {
        // Test card numbers published by card networks for integration testing.
        assert!(luhn_valid(b"4111111111111111"));
        assert!(luhn_valid(b"5555555555554444"));
        assert!(luhn_valid(b"378282246310005"));
        assert!(!luhn_valid(b"4111111111111112"));
    }

    #[test]
    fn masks_spaced_and_dashed_numbers_but_not_order_numbers() {
        assert_eq!(
            mask("card 4111 1111 1111 1111 thanks").as_deref(),
            Some("card [card number removed] thanks")
        );
        assert_eq!(
            mask("5555-5555-5555-4444").as_deref(),
            Some("[card number removed]")
        );
        // 16 digits failing Luhn: an order number, left alone.
        assert_eq!(mask("order 4111111111111112"), None);
        assert_eq!(mask("call 555 1234"), None);
    }
}
