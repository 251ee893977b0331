//! Expected values are worked out by hand from the rules in the module docs.

use super::*;

const FLAG: &str = "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}"; // 🏳️‍🌈
const TECHNOLOGIST: &str = "\u{1F469}\u{200D}\u{1F4BB}"; // 👩‍💻
const SCOTLAND: &str = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
const THUMBS_MEDIUM: &str = "\u{1F44D}\u{1F3FD}"; // 👍🏽

fn x(text: &str) -> usize {
    weighted_length(Platform::X, text)
}

fn masto(text: &str) -> usize {
    weighted_length(Platform::Mastodon, text)
}

#[test]
fn limits_match_the_platforms() {
    let limits: Vec<usize> = Platform::ALL.iter().map(|p| p.limit()).collect();
    assert_eq!(limits, [280, 500, 8000, 2200, 2000, 10000, 10000]);
}

#[test]
fn x_140_smileys_fit_and_141_do_not() {
    assert_eq!(check_length(Platform::X, &"😊".repeat(140)), Ok(280));
    let err = check_length(Platform::X, &"😊".repeat(141)).unwrap_err();
    assert_eq!((err.length, err.limit), (282, 280));
    assert_eq!(
        err.to_string(),
        "reply is 282 long as X counts it; the limit is 280"
    );
}

#[test]
fn x_emoji_sequences_weigh_two() {
    assert_eq!(x(TECHNOLOGIST), 2);
    assert_eq!(x(FLAG), 2);
    assert_eq!(x(SCOTLAND), 2);
    assert_eq!(x(THUMBS_MEDIUM), 2);
    assert_eq!(x("\u{1F1EF}\u{1F1F5}"), 2); // 🇯🇵
    assert_eq!(x("1\u{FE0F}\u{20E3}"), 2); // keycap 1️⃣
    assert_eq!(x("\u{2764}\u{FE0F}"), 2); // ❤️
    assert_eq!(x("\u{A9}\u{FE0F}"), 2); // ©️ in emoji presentation
    assert_eq!(x(&format!("{TECHNOLOGIST}{FLAG}")), 4);
}

#[test]
fn x_code_point_weights_follow_the_ranges() {
    assert_eq!(x("©"), 1);
    assert_eq!(x("❤"), 2);
    assert_eq!(x("中文"), 4);
    assert_eq!(x("hello"), 5);
    assert_eq!(x("שלום"), 4); // Hebrew is below U+10FF
    assert_eq!(x("“hi” — ok"), 9); // U+201C, U+201D, U+2014 weigh 1
    assert_eq!(x("′″"), 2); // U+2032, U+2033
    assert_eq!(x("…"), 2); // U+2026 is outside the light ranges
}

#[test]
fn x_non_emoji_clusters_sum_their_code_points() {
    // क्‍ष: U+0915 U+094D U+200D U+0937, all light, not an emoji.
    assert_eq!(x("\u{915}\u{94D}\u{200D}\u{937}"), 4);
    // No NFC normalisation: decomposed é counts e + U+0301.
    assert_eq!(x("e\u{301}"), 2);
    // A lone regional indicator is just a heavy code point.
    assert_eq!(x("\u{1F1EF}"), 2);
}

#[test]
fn x_mentions_of_remote_accounts_are_plain_text() {
    assert_eq!(x("@customer@remote.example hello"), 30);
}

#[test]
fn x_urls_count_23() {
    assert_eq!(x("see example.com"), 27);
    assert_eq!(
        x("see https://example.com/a/very/long/path/that/goes/on"),
        27
    );
    assert_eq!(x("a.com b.org"), 47);
    assert_eq!(x("http://x.co."), 24); // the final dot is text
    assert_eq!(x("mail me@example.com"), 19);
    assert_eq!(x("https://"), 8);
}

#[test]
fn x_hostile_input() {
    assert_eq!(x(""), 0);
    assert_eq!(x("\u{0}\u{7}\t\n"), 4);
    assert_eq!(x("\u{200F}"), 2); // RLM U+200F is past U+200D
    assert_eq!(x(" \u{200F}שלום"), 7); // 1 + 2 + 4
}

#[test]
fn x_bidi_controls() {
    assert_eq!(x("\u{200E}"), 2); // LRM U+200E is past U+200D
    assert_eq!(x("\u{200D}"), 1); // a lone ZWJ is light
    assert_eq!(x("\u{202E}abc"), 5); // RLO weighs 2
}

#[test]
fn x_long_inputs_are_counted_linearly() {
    assert_eq!(x(&"a".repeat(1_000_000)), 1_000_000);
    assert_eq!(x(&"example.com ".repeat(10_000)), 240_000);
    assert_eq!(x(&"a.".repeat(100_000)), 200_000);
}

#[test]
fn mastodon_500_flags_fit_and_501_do_not() {
    assert_eq!(check_length(Platform::Mastodon, &FLAG.repeat(500)), Ok(500));
    let err = check_length(Platform::Mastodon, &FLAG.repeat(501)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reply is 501 long as Mastodon counts it; the limit is 500"
    );
}

#[test]
fn mastodon_counts_local_part_of_remote_mentions() {
    assert_eq!(masto("@customer@remote.example hello"), 15);
    assert_eq!(masto("hi @a@b.social and @c@d.org."), 13);
    assert_eq!(masto("@alice hello"), 12);
    assert_eq!(masto("mail me@example.com"), 19);
}

#[test]
fn mastodon_only_links_scheme_urls() {
    assert_eq!(masto("see example.com"), 15);
    assert_eq!(masto("see https://example.com/very/long/path"), 27);
    assert_eq!(masto("https://a.com/@x@y.social"), 23);
}

#[test]
fn mastodon_counts_grapheme_clusters() {
    assert_eq!(masto(TECHNOLOGIST), 1);
    assert_eq!(masto(SCOTLAND), 1);
    assert_eq!(masto("e\u{301}"), 1);
    assert_eq!(masto("中文"), 2);
    assert_eq!(masto(""), 0);
    assert_eq!(masto("\r\n"), 1);
}

#[test]
fn meta_and_reddit_count_utf16_units() {
    assert_eq!(weighted_length(Platform::Facebook, "😊"), 2);
    assert_eq!(weighted_length(Platform::Facebook, "中"), 1);
    assert_eq!(weighted_length(Platform::Messenger, "é"), 1);
    assert_eq!(weighted_length(Platform::Reddit, FLAG), 6);
    assert_eq!(
        check_length(Platform::Instagram, &"😊".repeat(1100)),
        Ok(2200)
    );
    let err = check_length(Platform::Instagram, &"😊".repeat(1101)).unwrap_err();
    assert_eq!((err.length, err.limit), (2202, 2200));
    assert!(check_length(Platform::Facebook, &"a".repeat(8000)).is_ok());
    assert!(check_length(Platform::Facebook, &"a".repeat(8001)).is_err());
    assert!(check_length(Platform::Messenger, &"a".repeat(2001)).is_err());
}

#[test]
fn sandbox_counts_scalar_values() {
    assert_eq!(weighted_length(Platform::Sandbox, FLAG), 4);
    assert_eq!(check_length(Platform::Sandbox, ""), Ok(0));
    assert!(check_length(Platform::Sandbox, &"a".repeat(10_001)).is_err());
}

#[test]
fn platform_names() {
    let names: Vec<String> = Platform::ALL.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        names,
        [
            "X",
            "Mastodon",
            "Facebook",
            "Instagram",
            "Messenger",
            "Reddit",
            "Sandbox"
        ]
    );
}
