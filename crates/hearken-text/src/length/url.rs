//! Finding the links that platforms shorten to a fixed length.
//!
//! Two kinds are recognised:
//!
//! * scheme URLs: `http://` or `https://` (any case) followed by a host made of
//!   letters, digits, hyphens and dots, an optional port, path, query and
//!   fragment;
//! * bare domains (X only): dot-separated ASCII labels ending in a known
//!   top-level domain, such as `example.com` or `shop.example.co.uk/returns`.
//!
//! A link ends at whitespace, a control or invisible formatting character,
//! `<`, `>`, `"` or CJK punctuation. Trailing sentence punctuation
//! (`.,;:!?'*`) and unbalanced closing brackets are not part of the link.

use std::ops::Range;

/// Byte ranges of the links in `text`, in order and non-overlapping.
/// Bare domains are only recognised when `bare_domains` is true.
pub(super) fn find_urls(text: &str, bare_domains: bool) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let mut len = None;
        if scheme_may_start(prev) {
            len = scheme_url(rest);
        }
        if len.is_none() && bare_domains && bare_may_start(prev) {
            len = bare_domain(rest);
        }
        let step = len.unwrap_or(c.len_utf8());
        if len.is_some() {
            found.push(i..i + step);
        }
        prev = text[..i + step].chars().next_back();
        i += step;
    }
    found
}

/// A scheme URL may not be glued to a preceding word or `@`.
fn scheme_may_start(prev: Option<char>) -> bool {
    prev.is_none_or(|p| !(p.is_alphanumeric() || matches!(p, '@' | '_')))
}

/// A bare domain may not continue a word, an address, a path or a cashtag.
fn bare_may_start(prev: Option<char>) -> bool {
    prev.is_none_or(|p| {
        !(p.is_alphanumeric() || matches!(p, '@' | '.' | '-' | '_' | '/' | '$' | '#'))
    })
}

/// Length in bytes of the scheme URL at the start of `rest`, if any.
fn scheme_url(rest: &str) -> Option<usize> {
    let scheme = ["https://", "http://"]
        .into_iter()
        .find(|s| {
            rest.get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
        })?
        .len();
    let end = trim_trailing(rest, scheme, scheme + body_len(&rest[scheme..]));
    let after = &rest[scheme..end];
    let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    valid_host(&after[..host_end]).then_some(end)
}

/// Whether `host` (with an optional `:port`) is a plausible host name.
fn valid_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return false,
        None => host,
    };
    !name.is_empty() && name.split('.').all(valid_label)
}

/// A host label: letters, digits and inner hyphens.
fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

/// Length in bytes of the bare domain (with optional port and path) at the
/// start of `rest`, if any.
fn bare_domain(rest: &str) -> Option<usize> {
    let (mut pos, tld) = domain_labels(rest)?;
    if !is_tld(tld) || rest[pos..].starts_with(['@', '_']) {
        return None;
    }
    if rest[pos..]
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    pos += port_len(&rest[pos..]);
    if rest[pos..].starts_with('/') {
        pos = trim_trailing(rest, pos, pos + body_len(&rest[pos..]));
    }
    Some(pos)
}

/// Greedily reads two or more dot-separated ASCII labels; returns the byte
/// length read and the last label.
fn domain_labels(rest: &str) -> Option<(usize, &str)> {
    let mut pos = ascii_label_len(rest);
    let mut last = &rest[..pos];
    let mut count = usize::from(pos > 0);
    while count > 0 && rest[pos..].starts_with('.') {
        let len = ascii_label_len(&rest[pos + 1..]);
        if len == 0 {
            break;
        }
        last = &rest[pos + 1..pos + 1 + len];
        pos += 1 + len;
        count += 1;
    }
    (count >= 2).then_some((pos, last))
}

/// Length of the ASCII host label at the start of `s` (0 if none).
fn ascii_label_len(s: &str) -> usize {
    let run = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
        .count();
    let label = s[..run].trim_end_matches('-');
    if label.starts_with('-') || label.len() > 63 {
        0
    } else {
        label.len()
    }
}

/// Length of a `:port` at the start of `s` (0 if none).
fn port_len(s: &str) -> usize {
    let digits = s
        .strip_prefix(':')
        .map_or(0, |p| p.bytes().take_while(u8::is_ascii_digit).count());
    if digits == 0 {
        0
    } else {
        1 + digits
    }
}

/// Length in bytes of the run of characters that may appear inside a link.
fn body_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !is_link_char(c))
        .map_or(s.len(), |(i, _)| i)
}

fn is_link_char(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '<' | '>' | '"' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}')
        || matches!(c, '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{3000}'..='\u{303F}'))
}

/// Drops trailing punctuation from `rest[..end]`, never below `min`.
fn trim_trailing(rest: &str, min: usize, mut end: usize) -> usize {
    while end > min {
        let Some(c) = rest[..end].chars().next_back() else {
            break;
        };
        let unbalanced = |open: char| {
            let body = &rest[..end];
            body.matches(c).count() > body.matches(open).count()
        };
        let drop = match c {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => unbalanced('('),
            ']' => unbalanced('['),
            _ => false,
        };
        if !drop {
            break;
        }
        end -= c.len_utf8();
    }
    end
}

/// Whether `label` is a top-level domain that makes a bare domain a link.
fn is_tld(label: &str) -> bool {
    GENERIC_TLDS
        .iter()
        .chain(COUNTRY_TLDS)
        .any(|t| t.eq_ignore_ascii_case(label))
}

/// Generic top-level domains in common use.
const GENERIC_TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "name",
    "pro",
    "aero",
    "coop",
    "museum",
    "mobi",
    "asia",
    "tel",
    "travel",
    "jobs",
    "app",
    "dev",
    "page",
    "blog",
    "shop",
    "store",
    "online",
    "site",
    "website",
    "tech",
    "cloud",
    "xyz",
    "top",
    "club",
    "live",
    "news",
    "media",
    "link",
    "email",
    "world",
    "today",
    "space",
    "design",
    "studio",
    "agency",
    "group",
    "company",
    "solutions",
    "services",
    "support",
    "help",
    "social",
    "network",
    "digital",
    "global",
    "team",
    "life",
    "fun",
    "art",
    "games",
    "wiki",
    "chat",
    "zone",
    "works",
];

/// Country-code top-level domains (ISO 3166 codes plus `ac`, `eu`, `uk`, `su`).
const COUNTRY_TLDS: &[&str] = &[
    "ac", "ad", "ae", "af", "ag", "ai", "al", "am", "ao", "aq", "ar", "as", "at", "au", "aw", "ax",
    "az", "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn", "bo", "br", "bs", "bt",
    "bw", "by", "bz", "ca", "cc", "cd", "cf", "cg", "ch", "ci", "ck", "cl", "cm", "cn", "co", "cr",
    "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz", "ec", "ee", "eg", "er",
    "es", "et", "eu", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gd", "ge", "gf", "gg", "gh", "gi",
    "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk", "hm", "hn", "hr", "ht",
    "hu", "id", "ie", "il", "im", "in", "io", "iq", "ir", "is", "it", "je", "jm", "jo", "jp", "ke",
    "kg", "kh", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "la", "lb", "lc", "li", "lk", "lr",
    "ls", "lt", "lu", "lv", "ly", "ma", "mc", "md", "me", "mg", "mh", "mk", "ml", "mm", "mn", "mo",
    "mp", "mq", "mr", "ms", "mt", "mu", "mv", "mw", "mx", "my", "mz", "na", "nc", "ne", "nf", "ng",
    "ni", "nl", "no", "np", "nr", "nu", "nz", "om", "pa", "pe", "pf", "pg", "ph", "pk", "pl", "pm",
    "pn", "pr", "ps", "pt", "pw", "py", "qa", "re", "ro", "rs", "ru", "rw", "sa", "sb", "sc", "sd",
    "se", "sg", "sh", "si", "sk", "sl", "sm", "sn", "so", "sr", "ss", "st", "su", "sv", "sx", "sy",
    "sz", "tc", "td", "tf", "tg", "th", "tj", "tk", "tl", "tm", "tn", "to", "tr", "tt", "tv", "tw",
    "tz", "ua", "ug", "uk", "us", "uy", "uz", "va", "vc", "ve", "vg", "vi", "vn", "vu", "wf", "ws",
    "ye", "yt", "za", "zm", "zw",
];

#[cfg(test)]
mod tests {
    use super::find_urls;

    fn links(text: &str, bare: bool) -> Vec<&str> {
        find_urls(text, bare)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn scheme_urls_are_found_with_paths_and_ports() {
        let text = "go to https://Example.com:8443/a/b?c=d#e now";
        assert_eq!(links(text, false), ["https://Example.com:8443/a/b?c=d#e"]);
        assert_eq!(links("HTTP://x.org", false), ["HTTP://x.org"]);
    }

    #[test]
    fn trailing_punctuation_is_not_part_of_a_link() {
        assert_eq!(links("see https://a.com/x.", false), ["https://a.com/x"]);
        assert_eq!(links("(https://a.com/x)", false), ["https://a.com/x"]);
        assert_eq!(
            links("https://en.wikipedia.org/wiki/Rust_(language)!", false),
            ["https://en.wikipedia.org/wiki/Rust_(language)"]
        );
        assert_eq!(links("example.com/faq?", true), ["example.com/faq"]);
    }

    #[test]
    fn bare_domains_need_a_known_tld_and_a_clean_start() {
        assert_eq!(links("see example.com", true), ["example.com"]);
        assert_eq!(links("see example.com", false), Vec::<&str>::new());
        assert_eq!(
            links("shop.example.co.uk/returns", true),
            ["shop.example.co.uk/returns"]
        );
        assert!(links("@customer@remote.example hello", true).is_empty());
        assert!(links("mail me@example.com", true).is_empty());
        assert!(links("version 1.2 and file.txt", true).is_empty());
        assert!(links("example.comx", true).is_empty());
        assert_eq!(links("end example.com.", true), ["example.com"]);
    }

    #[test]
    fn hosts_must_be_plausible() {
        assert!(links("http://", false).is_empty());
        assert!(links("https:// example.com", false).is_empty());
        assert!(links("https://-bad-.com", false).is_empty());
        assert!(links("xhttps://a.com", false).is_empty());
        assert_eq!(links("https://localhost", false), ["https://localhost"]);
    }

    #[test]
    fn links_stop_at_invisible_and_cjk_punctuation() {
        assert_eq!(links("https://a.com\u{200F}x", false), ["https://a.com"]);
        assert_eq!(links("https://a.com。次", false), ["https://a.com"]);
    }
}
