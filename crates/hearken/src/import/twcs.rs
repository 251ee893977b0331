//! The TWCS CSV format (Kaggle "Customer Support on Twitter"):
//! `tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id`.
//!
//! Consumer tweets (`inbound = True`) become inbound messages from the consumer's
//! identity; company tweets become outbound messages of the brand account named by
//! `author_id`. An inbound tweet belongs to the account it first @mentions by name (the
//! dataset replaced consumer mentions by numbers, so a named mention is a brand); its
//! thread decides its conversation anyway once a parent or reply is known.
//!
//! A row with broken quoting would otherwise swallow the rest of the file into one field;
//! when a record has the wrong number of fields, only its first line is rejected and
//! parsing restarts on the next line.

use jiff::Timestamp;

use super::{Parsed, Rejection};
use crate::domain::channel::{Channel, Visibility};
use crate::domain::message::{AuthorRef, Direction, IncomingMessage};

const FIELDS: usize = 7;

/// Parses a TWCS file held in memory.
pub fn parse(bytes: &[u8]) -> impl Iterator<Item = Parsed> + '_ {
    TwcsRows::new(bytes)
}

struct TwcsRows<'a> {
    bytes: &'a [u8],
    /// Byte offset where the current reader started.
    base: usize,
    /// Line number (1-based) of `base`.
    base_line: u64,
    reader: csv::Reader<&'a [u8]>,
    header_checked: bool,
}

impl<'a> TwcsRows<'a> {
    fn new(bytes: &'a [u8]) -> TwcsRows<'a> {
        TwcsRows {
            bytes,
            base: 0,
            base_line: 1,
            reader: reader_at(bytes),
            header_checked: false,
        }
    }

    /// Restarts parsing on the line after the one starting at `start` (a byte offset).
    fn restart_after_line(&mut self, start: usize, line: u64) {
        let rest = &self.bytes[start..];
        let next = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => start + i + 1,
            None => self.bytes.len(),
        };
        self.base = next;
        self.base_line = line + 1;
        self.reader = reader_at(&self.bytes[next..]);
    }

    fn check_header(&mut self, rec: &csv::ByteRecord) -> Option<Parsed> {
        self.header_checked = true;
        let expected = [
            "tweet_id",
            "author_id",
            "inbound",
            "created_at",
            "text",
            "response_tweet_id",
            "in_response_to_tweet_id",
        ];
        let found: Vec<&[u8]> = rec.iter().collect();
        if found.len() == FIELDS && found.iter().zip(expected).all(|(f, e)| *f == e.as_bytes()) {
            return None;
        }
        Some(Err(Rejection {
            line: 1,
            reason: format!("the header is not the TWCS header ({})", expected.join(",")),
        }))
    }
}

fn reader_at(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

impl Iterator for TwcsRows<'_> {
    type Item = Parsed;

    fn next(&mut self) -> Option<Parsed> {
        loop {
            let mut rec = csv::ByteRecord::new();
            let pos_before = self.reader.position().clone();
            match self.reader.read_byte_record(&mut rec) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let line = self.base_line + pos_before.line() - 1;
                    self.restart_after_line(self.base + pos_before.byte() as usize, line);
                    return Some(Err(Rejection {
                        line,
                        reason: format!("unreadable CSV: {e}"),
                    }));
                }
            }
            let pos = rec.position().cloned().unwrap_or(pos_before);
            let line = self.base_line + pos.line() - 1;
            if !self.header_checked {
                match self.check_header(&rec) {
                    Some(err) => return Some(err),
                    None => continue,
                }
            }
            if rec.len() != FIELDS {
                let spans_lines = rec.iter().any(|f| f.contains(&b'\n'));
                if spans_lines {
                    self.restart_after_line(self.base + pos.byte() as usize, line);
                }
                return Some(Err(Rejection {
                    line,
                    reason: format!(
                        "expected {FIELDS} fields, found {} (broken quoting?)",
                        rec.len()
                    ),
                }));
            }
            return Some(
                row(&rec)
                    .map(|m| (line, m))
                    .map_err(|reason| Rejection { line, reason }),
            );
        }
    }
}

fn field<'r>(rec: &'r csv::ByteRecord, i: usize, name: &str) -> Result<&'r str, String> {
    std::str::from_utf8(&rec[i]).map_err(|_| format!("{name} is not valid UTF-8"))
}

fn row(rec: &csv::ByteRecord) -> Result<IncomingMessage, String> {
    let id = field(rec, 0, "tweet_id")?.trim();
    if id.is_empty() {
        return Err("tweet_id is empty".into());
    }
    let author = field(rec, 1, "author_id")?.trim();
    if author.is_empty() {
        return Err("author_id is empty".into());
    }
    let inbound = match field(rec, 2, "inbound")? {
        "True" | "true" => true,
        "False" | "false" => false,
        other => {
            return Err(format!(
                "inbound must be True or False, found {:?}",
                clip(other)
            ))
        }
    };
    let created = parse_time(field(rec, 3, "created_at")?)?;
    let text = decode_entities(field(rec, 4, "text")?);
    let reply_to = first_id(field(rec, 6, "in_response_to_tweet_id")?);
    let (direction, account, customer) = if inbound {
        let who = AuthorRef {
            platform_user_id: author.to_owned(),
            handle: author.to_owned(),
            display_name: None,
        };
        (Direction::In, mentioned_brand(&text), Some(who))
    } else {
        (Direction::Out, author.to_owned(), None)
    };
    Ok(IncomingMessage {
        channel: Channel::X,
        account,
        platform_id: id.to_owned(),
        direction,
        visibility: Visibility::Public,
        reply_to,
        customer,
        text,
        platform_time: created.as_millisecond(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    })
}

/// TWCS times look like `Tue Oct 31 22:10:47 +0000 2017`.
fn parse_time(s: &str) -> Result<Timestamp, String> {
    jiff::fmt::strtime::parse("%a %b %d %H:%M:%S %z %Y", s.trim())
        .and_then(|t| t.to_timestamp())
        .map_err(|_| {
            format!(
                "created_at {:?} is not a date like 'Tue Oct 31 22:10:47 +0000 2017'",
                clip(s)
            )
        })
}

fn first_id(s: &str) -> Option<String> {
    let id = s.split(',').next()?.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// The first @mention that is a name rather than a pseudonymised number.
fn mentioned_brand(text: &str) -> String {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '@'))
        .filter_map(|w| w.strip_prefix('@'))
        .find(|h| !h.is_empty() && !h.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Tweets of that era carry `&amp;`, `&lt;` and `&gt;` escaped by the platform (also the
/// IBM sample, which is made of tweets).
pub(super) fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n";

    fn lines(rows: &str) -> Vec<Parsed> {
        let data = format!("{HEADER}{rows}");
        parse(data.as_bytes()).collect()
    }

    #[test]
    fn reads_inbound_and_brand_rows() {
        let out = lines(
            "2,115712,True,Tue Oct 31 22:11:45 +0000 2017,@sprintcare and how &amp; why,,1\n\
             1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,@115712 I understand.,2,3\n",
        );
        let (line, a) = out[0].clone().unwrap();
        assert_eq!(line, 2);
        assert_eq!(a.direction, Direction::In);
        assert_eq!(a.account, "sprintcare");
        assert_eq!(a.text, "@sprintcare and how & why");
        assert_eq!(a.reply_to.as_deref(), Some("1"));
        // 2017-10-31T22:11:45Z
        assert_eq!(a.platform_time, 1_509_487_905_000);
        let (_, b) = out[1].clone().unwrap();
        assert_eq!(b.direction, Direction::Out);
        assert_eq!(b.account, "sprintcare");
        assert_eq!(b.reply_to.as_deref(), Some("3"));
    }

    #[test]
    fn bad_rows_are_rejected_with_line_and_reason() {
        let out = lines(
            ",1,True,Tue Oct 31 22:11:45 +0000 2017,x,,\n\
             5,1,True,yesterday,x,,\n\
             6,1,True,Tue Oct 31 22:11:45 +0000 2017,fine,,\n",
        );
        assert_eq!(out[0].clone().unwrap_err().line, 2);
        assert!(out[0]
            .clone()
            .unwrap_err()
            .reason
            .contains("tweet_id is empty"));
        assert_eq!(out[1].clone().unwrap_err().line, 3);
        assert!(out[1].clone().unwrap_err().reason.contains("created_at"));
        assert_eq!(out[2].clone().unwrap().0, 4);
    }

    #[test]
    fn broken_quoting_loses_only_its_own_line() {
        let out = lines(
            "7,1,True,Tue Oct 31 22:11:45 +0000 2017,\"never closed,,\n\
             8,1,True,Tue Oct 31 22:11:45 +0000 2017,ok one,,\n\
             9,1,True,Tue Oct 31 22:11:45 +0000 2017,\"multi\nline\",,\n",
        );
        let rejected: Vec<u64> = out
            .iter()
            .filter_map(|r| r.clone().err())
            .map(|r| r.line)
            .collect();
        let ok: Vec<String> = out
            .iter()
            .filter_map(|r| r.clone().ok())
            .map(|(_, m)| m.platform_id)
            .collect();
        assert_eq!(rejected, vec![2]);
        assert_eq!(ok, vec!["8", "9"]);
    }

    #[test]
    fn a_wrong_header_is_reported() {
        let out: Vec<Parsed> = parse(b"a,b\n1,2\n").collect();
        assert_eq!(out[0].clone().unwrap_err().line, 1);
    }
}
