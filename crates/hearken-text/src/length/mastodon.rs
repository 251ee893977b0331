//! Mastodon's status length; see the parent module.

use super::url::find_urls;
use super::x::URL_WEIGHT;
use unicode_segmentation::UnicodeSegmentation;

/// The length of `text` as Mastodon counts it.
pub(super) fn length(text: &str) -> usize {
    let mut total = 0;
    let mut cursor = 0;
    for url in find_urls(text, false) {
        total += plain_length(&text[cursor..url.start]) + URL_WEIGHT;
        cursor = url.end;
    }
    total + plain_length(&text[cursor..])
}

/// Grapheme clusters of link-free text, with `@user@domain` counted as
/// `@user`.
fn plain_length(text: &str) -> usize {
    let mut total = 0;
    let mut cursor = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find('@') {
        let at = search + found;
        search = at + 1;
        if !mention_may_start(text[..at].chars().next_back()) {
            continue;
        }
        if let Some((local_end, domain_end)) = remote_mention(&text[at..]) {
            total += text[cursor..at + local_end].graphemes(true).count();
            cursor = at + domain_end;
            search = cursor;
        }
    }
    total + text[cursor..].graphemes(true).count()
}

/// A mention may not be glued to a preceding word, path or `=`.
fn mention_may_start(prev: Option<char>) -> bool {
    prev.is_none_or(|p| !(p.is_alphanumeric() || matches!(p, '_' | '/' | '=' | '@')))
}

/// For `@user@domain…` at the start of `s`, the byte offsets where `@user`
/// ends and where the domain ends.
fn remote_mention(s: &str) -> Option<(usize, usize)> {
    let local = run_len(&s[1..], |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
    });
    let local_end = 1 + local;
    let domain_start = local_end + 1;
    if local == 0 || !s[local_end..].starts_with('@') {
        return None;
    }
    let domain = run_len(&s[domain_start..], |c| {
        c.is_alphanumeric() || matches!(c, '.' | '-')
    });
    (domain > 0).then_some((local_end, domain_start + domain))
}

/// Length of the run of `ok` characters at the start of `s`, without
/// trailing dots or hyphens.
fn run_len(s: &str, ok: impl Fn(char) -> bool) -> usize {
    let end = s
        .char_indices()
        .find(|&(_, c)| !ok(c))
        .map_or(s.len(), |(i, _)| i);
    s[..end].trim_end_matches(['.', '-']).len()
}
