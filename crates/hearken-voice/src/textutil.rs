//! Small text helpers shared by the style checker and the routing rules.
//!
//! All byte offsets produced here come from regex matches or `char`
//! iteration, so they always fall on UTF-8 char boundaries.

use regex::Regex;

/// Builds a case-insensitive regex for a literal phrase; any run of
/// whitespace inside the phrase matches any run of whitespace in the text.
pub(crate) fn phrase_regex(phrase: &str) -> Result<Regex, regex::Error> {
    let parts: Vec<String> = phrase.split_whitespace().map(regex::escape).collect();
    Regex::new(&format!("(?i){}", parts.join(r"\s+")))
}

/// Finds every whole-word occurrence of `re` in `text` as byte ranges.
///
/// A match is "whole word" when it is not glued to a word character on
/// either side. Edges written in scripts that do not separate words with
/// spaces (Han, kana, Thai) are exempt, otherwise such phrases could never
/// match inside running text.
pub(crate) fn find_whole(text: &str, re: &Regex) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut pos = 0;
    while pos <= text.len() {
        let Some(m) = re.find_at(text, pos) else {
            break;
        };
        if m.start() < m.end() && is_whole(text, m.start(), m.end()) {
            found.push((m.start(), m.end()));
            pos = m.end();
        } else {
            pos = next_boundary(text, m.start());
        }
    }
    found
}

/// True when `phrase` occurs as a whole word (case-insensitive) in `text`.
pub(crate) fn contains_whole(text: &str, phrase: &str) -> bool {
    phrase_regex(phrase)
        .map(|re| !find_whole(text, &re).is_empty())
        .unwrap_or(false)
}

fn next_boundary(text: &str, from: usize) -> usize {
    match text[from..].chars().next() {
        Some(c) => from + c.len_utf8(),
        None => text.len() + 1,
    }
}

fn is_whole(text: &str, start: usize, end: usize) -> bool {
    let hit = &text[start..end];
    let left_ok = !glued(hit.chars().next(), text[..start].chars().next_back());
    let right_ok = !glued(hit.chars().next_back(), text[end..].chars().next());
    left_ok && right_ok
}

fn glued(edge: Option<char>, neighbour: Option<char>) -> bool {
    match (edge, neighbour) {
        (Some(e), Some(n)) => is_spaced_word_char(e) && is_word_char(n),
        _ => false,
    }
}

/// Word characters: letters, digits and underscore.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_spaced_word_char(c: char) -> bool {
    is_word_char(c) && !is_unspaced_script(c)
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x0E00..=0x0E7F    // Thai
        | 0x20000..=0x2FFFF) // CJK Extensions B..
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_word_rejects_substrings() {
        let re = phrase_regex("cheap").unwrap();
        assert_eq!(find_whole("cheapest cheap", &re), vec![(9, 14)]);
    }

    #[test]
    fn cjk_phrase_matches_inside_running_text() {
        let re = phrase_regex("退款").unwrap();
        // "我要退款" : 我(3) 要(3) 退款(6)
        assert_eq!(find_whole("我要退款", &re), vec![(6, 12)]);
    }

    #[test]
    fn phrase_whitespace_is_flexible() {
        let re = phrase_regex("no  problem").unwrap();
        assert_eq!(find_whole("It is No\nproblem.", &re), vec![(6, 16)]);
    }
}
