//! A deliberately small HTML-to-plain-text converter for status bodies.
//!
//! Mastodon sends `content` as sanitised HTML (`<p>`, `<br>`, `<a>`, `<span>`).
//! This converter does not build a DOM; it walks the string once:
//!
//! * `<br>` (any spelling, e.g. `<br/>`, `<BR />`) becomes `\n`;
//! * a closing `</p>` becomes a paragraph break, so `</p><p>` yields `\n\n`;
//! * every other tag is removed, keeping its inner text;
//! * character references are decoded: the named ones `&amp; &lt; &gt; &quot;
//!   &apos; &#39; &nbsp;` and any numeric `&#NNN;` / `&#xHH;`; an unknown or
//!   malformed reference is kept literally;
//! * leading and trailing whitespace/newlines are trimmed.
//!
//! It is not a general HTML parser: comments, scripts and CDATA are not treated
//! specially (Mastodon never emits them in `content`).

/// Convert a small HTML fragment to plain text (see module docs for the rules).
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            // Unterminated tag: keep the remainder as text.
            out.push_str(&decode_entities(&rest[lt..]));
            rest = "";
            break;
        };
        push_tag_break(&after[..gt], &mut out);
        rest = &after[gt + 1..];
    }
    out.push_str(&decode_entities(rest));
    out.trim().to_string()
}

/// Append the line break a tag stands for, if any.
fn push_tag_break(tag: &str, out: &mut String) {
    let name: String = tag
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
        .collect::<String>()
        .to_ascii_lowercase();
    match name.as_str() {
        "br" | "br/" => out.push('\n'),
        "/p" => out.push_str("\n\n"),
        _ => {}
    }
}

/// Decode HTML character references; unknown ones are kept as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        match tail.find(';').filter(|semi| *semi <= 12) {
            Some(semi) => match entity(&tail[1..semi]) {
                Some(c) => {
                    out.push(c);
                    rest = &tail[semi + 1..];
                }
                None => {
                    out.push('&');
                    rest = &tail[1..];
                }
            },
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character for one entity name (without `&` and `;`).
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => numeric_entity(name),
    }
}

/// `#NNN` or `#xHH` to a char.
fn numeric_entity(name: &str) -> Option<char> {
    let num = name.strip_prefix('#')?;
    let code = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => num.parse::<u32>().ok()?,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        assert_eq!(
            html_to_text("<p>Hello<br>world</p><p>Second &amp; last</p>"),
            "Hello\nworld\n\nSecond & last"
        );
        assert_eq!(html_to_text("a<br />b<BR/>c"), "a\nb\nc");
    }

    #[test]
    fn mentions_and_entities() {
        let html = "<p><span class=\"h-card\"><a href=\"x\" class=\"u-url mention\">@<span>bob</span></a></span> hi &lt;3 &#39;q&#x27; &#128512;</p>";
        assert_eq!(html_to_text(html), "@bob hi <3 'q' \u{1F600}");
    }

    #[test]
    fn malformed_input_is_kept() {
        assert_eq!(html_to_text("a < b"), "a < b");
        assert_eq!(
            decode_entities("AT&T &bogus; &#xZZ; &"),
            "AT&T &bogus; &#xZZ; &"
        );
        assert_eq!(decode_entities("&#99999999999;"), "&#99999999999;");
    }
}
