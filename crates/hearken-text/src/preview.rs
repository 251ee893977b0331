//! Short previews of posts for inbox lists and notifications.
//!
//! Rules:
//!
//! 1. every run of whitespace (anything Unicode calls White_Space, including
//!    newlines, tabs and no-break spaces) becomes one ASCII space, and the
//!    text is trimmed at both ends;
//! 2. control characters that are not whitespace (NUL, BEL, ESC, …) are
//!    dropped, so a preview cannot ring a terminal or break a log line;
//!    invisible formatting characters such as RTL/LTR marks are kept, since
//!    they carry meaning for right-to-left text;
//! 3. the result is cut to at most `max_graphemes` extended grapheme clusters
//!    (what a reader sees as one character, as in UAX #29 and as Mastodon
//!    counts), never inside one: 👩‍💻, 🇯🇵 and `e` + U+0301 stay whole;
//! 4. when text was cut, trailing whitespace is dropped and `…` (U+2026) is
//!    appended, so a preview is at most `max_graphemes + 1` clusters long.
//!
//! A preview may still contain bidirectional controls; render it inside an
//! isolating element (`<bdi>`) so a cut RTL override cannot leak into the
//! surrounding interface.

use unicode_segmentation::UnicodeSegmentation;

/// The ellipsis appended to a preview that was cut.
pub const ELLIPSIS: char = '\u{2026}';

/// A preview of `text` of at most `max_graphemes` grapheme clusters, plus
/// `…` when it was cut (see the module docs for the rules).
pub fn preview(text: &str, max_graphemes: usize) -> String {
    let clean = collapse_whitespace(text);
    match clean.grapheme_indices(true).nth(max_graphemes) {
        None => clean,
        Some((cut, _)) => {
            let mut out = clean[..cut].trim_end().to_owned();
            out.push(ELLIPSIS);
            out
        }
    }
}

/// Collapses whitespace runs to one space, drops other control characters
/// and trims both ends.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if !c.is_control() {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graphemes(s: &str) -> usize {
        s.graphemes(true).count()
    }

    #[test]
    fn short_text_is_returned_whole() {
        assert_eq!(preview("hello world", 20), "hello world");
        assert_eq!(preview("hello world", 11), "hello world");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(preview("hello world", 10), "hello worl…");
        assert_eq!(preview("hello world", 5), "hello…");
        // The cut lands after the space; the space is dropped.
        assert_eq!(preview("hello world", 6), "hello…");
    }

    #[test]
    fn whitespace_runs_collapse_and_ends_are_trimmed() {
        assert_eq!(preview("  hello \t\n\r\n  world  ", 50), "hello world");
        assert_eq!(preview("a\u{A0}\u{2028}b", 50), "a b");
        assert_eq!(preview(" \n\t ", 5), "");
    }

    #[test]
    fn grapheme_clusters_are_never_split() {
        let tech = "\u{1F469}\u{200D}\u{1F4BB}";
        assert_eq!(preview(&tech.repeat(3), 2), format!("{tech}{tech}…"));
        assert_eq!(
            preview("\u{1F1EF}\u{1F1F5}\u{1F1FA}\u{1F1F8}", 1),
            "\u{1F1EF}\u{1F1F5}…"
        );
        assert_eq!(preview("e\u{301}xyz", 1), "e\u{301}…");
        assert_eq!(preview("\u{1F44D}\u{1F3FD} ok", 1), "\u{1F44D}\u{1F3FD}…");
    }

    #[test]
    fn zero_and_empty() {
        assert_eq!(preview("", 0), "");
        assert_eq!(preview("", 10), "");
        assert_eq!(preview("abc", 0), "…");
    }

    #[test]
    fn control_characters_are_dropped_and_marks_kept() {
        assert_eq!(preview("a\u{0}b\u{7}c\u{1B}[31m", 50), "abc[31m");
        // RLM is a cluster of its own, then two Hebrew letters.
        assert_eq!(preview("\u{200F}שלום עולם", 3), "\u{200F}של…");
    }

    #[test]
    fn very_long_input() {
        let long = "word ".repeat(200_000);
        let out = preview(&long, 9);
        assert_eq!(out, "word word…");
    }

    /// Deterministic pseudo-random strings built from awkward pieces.
    fn samples() -> Vec<String> {
        const PIECES: [&str; 14] = [
            "a",
            " ",
            "\n\t",
            "e\u{301}",
            "\u{1F469}\u{200D}\u{1F4BB}",
            "\u{1F1EF}",
            "\u{1F1F5}",
            "\u{200D}",
            "中",
            "\u{200F}",
            "\u{0}",
            "\u{FE0F}",
            "\u{600}",
            "\r\n",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..400)
            .map(|_| {
                let len = (next() % 24) as usize;
                (0..len).map(|_| PIECES[(next() % 14) as usize]).collect()
            })
            .collect()
    }

    #[test]
    fn preview_never_exceeds_max_plus_one() {
        for text in samples() {
            let clean = collapse_whitespace(&text);
            for max in 0..16 {
                let out = preview(&text, max);
                assert!(graphemes(&out) <= max + 1, "{text:?} at {max} gave {out:?}");
                match out.strip_suffix(ELLIPSIS) {
                    Some(kept) if graphemes(&clean) > max => assert!(clean.starts_with(kept)),
                    _ => assert_eq!(out, clean),
                }
            }
        }
    }
}
