//! X's weighted length (twitter-text v3 configuration); see the parent module.

use super::url::find_urls;
use unicode_segmentation::UnicodeSegmentation;

/// Every link counts this much, whatever its real length.
pub(super) const URL_WEIGHT: usize = 23;
/// Every emoji sequence counts this much.
const EMOJI_WEIGHT: usize = 2;

/// The weighted length of `text` as X counts it.
pub(super) fn weighted_length(text: &str) -> usize {
    let mut total = 0;
    let mut cursor = 0;
    for url in find_urls(text, true) {
        total += plain_weight(&text[cursor..url.start]) + URL_WEIGHT;
        cursor = url.end;
    }
    total + plain_weight(&text[cursor..])
}

/// Weight of text containing no links.
fn plain_weight(text: &str) -> usize {
    text.graphemes(true).map(cluster_weight).sum()
}

/// An emoji sequence weighs 2; any other cluster weighs the sum of its
/// code points.
fn cluster_weight(cluster: &str) -> usize {
    if is_emoji_sequence(cluster) {
        EMOJI_WEIGHT
    } else {
        cluster.chars().map(code_point_weight).sum()
    }
}

/// 1 inside X's light ranges, 2 elsewhere.
fn code_point_weight(c: char) -> usize {
    match u32::from(c) {
        0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

/// Whether a grapheme cluster of two or more code points is an emoji
/// sequence: a flag (two regional indicators), a keycap, or a pictograph
/// followed by a presentation selector, ZWJ, skin-tone modifier or tags.
/// Single code points need no special case: every emoji-presentation code
/// point already weighs 2.
fn is_emoji_sequence(cluster: &str) -> bool {
    let mut chars = cluster.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
        return false;
    };
    if is_regional_indicator(first) {
        return is_regional_indicator(second);
    }
    if matches!(first, '0'..='9' | '#' | '*') {
        return cluster.contains('\u{20E3}');
    }
    is_pictographic(first) && cluster.chars().skip(1).any(is_emoji_continuation)
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

/// Variation selector 16, ZWJ, skin-tone modifiers and tag characters.
fn is_emoji_continuation(c: char) -> bool {
    matches!(
        c,
        '\u{FE0F}' | '\u{200D}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}'
    )
}

/// An approximation of Unicode's Extended_Pictographic property: the
/// symbols that can start an emoji sequence.
fn is_pictographic(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00A9
            | 0x00AE
            | 0x203C
            | 0x2049
            | 0x2122
            | 0x2139
            | 0x2194..=0x2199
            | 0x21A9..=0x21AA
            | 0x231A..=0x231B
            | 0x2328
            | 0x2388
            | 0x23CF
            | 0x23E9..=0x23F3
            | 0x23F8..=0x23FA
            | 0x24C2
            | 0x25AA..=0x25AB
            | 0x25B6
            | 0x25C0
            | 0x25FB..=0x25FE
            | 0x2600..=0x27BF
            | 0x2934..=0x2935
            | 0x2B05..=0x2B07
            | 0x2B1B..=0x2B1C
            | 0x2B50
            | 0x2B55
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
            | 0x1F000..=0x1FAFF
            | 0x1FC00..=0x1FFFD
    )
}
