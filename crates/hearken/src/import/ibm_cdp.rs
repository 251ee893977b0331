//! The IBM "Twitter conversations for conversational document prediction" JSON format: a
//! list of conversations, each with `dialogHeader.company` (the brand account), turns in
//! `dialogContent` (`client`, `client1` or `agent`, with `tweet_ID`, `datetime`, `message`)
//! in order, where each turn answers the one before, and `agentURL`, the brand's final
//! tweet, which has no time of its own: it is placed at the conversation's start plus its
//! stated duration.
//!
//! Rejections name the conversation by its position in the list (1-based) in `line`.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::{Parsed, Rejection};
use crate::domain::channel::{Channel, Visibility};
use crate::domain::message::{AuthorRef, Direction, IncomingMessage};

#[derive(Deserialize)]
struct Conversation {
    #[serde(rename = "dialogHeader")]
    header: Header,
    #[serde(rename = "dialogContent")]
    content: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(rename = "agentURL")]
    agent_url: Option<AgentUrl>,
}

#[derive(Deserialize)]
struct Header {
    company: String,
    #[serde(rename = "conversationDateTime")]
    started: String,
    duration: Option<String>,
}

#[derive(Deserialize)]
struct AgentUrl {
    #[serde(rename = "tweet_ID")]
    tweet_id: String,
    url_utterance: String,
}

/// Parses a whole file; one broken conversation rejects only its own messages.
pub fn parse(bytes: &[u8]) -> Vec<Parsed> {
    let items: Vec<serde_json::Value> = match serde_json::from_slice(bytes) {
        Ok(items) => items,
        Err(e) => {
            return vec![Err(Rejection {
                line: e.line() as u64,
                reason: format!("not a JSON list of conversations: {e}"),
            })]
        }
    };
    let mut out = Vec::new();
    for (n, item) in items.into_iter().enumerate() {
        let line = n as u64 + 1;
        match conversation(item) {
            Ok(msgs) => out.extend(msgs.into_iter().map(|m| Ok((line, m)))),
            Err(reason) => out.push(Err(Rejection { line, reason })),
        }
    }
    out
}

fn conversation(item: serde_json::Value) -> Result<Vec<IncomingMessage>, String> {
    let c: Conversation =
        serde_json::from_value(item).map_err(|e| format!("conversation is malformed: {e}"))?;
    let brand = c.header.company.trim().to_owned();
    if brand.is_empty() {
        return Err("dialogHeader.company is empty".into());
    }
    let mut out: Vec<IncomingMessage> = Vec::new();
    for (i, turn) in c.content.iter().enumerate() {
        let m =
            turn_message(&brand, turn, out.last()).map_err(|e| format!("turn {}: {e}", i + 1))?;
        out.push(m);
    }
    if let Some(final_turn) = c.agent_url {
        if !out.iter().any(|m| m.platform_id == final_turn.tweet_id) {
            let at = final_time(&c.header, out.last())?;
            out.push(message(
                &brand,
                final_turn.tweet_id,
                None,
                super::twcs::decode_entities(&final_turn.url_utterance),
                at,
                out.last(),
            ));
        }
    }
    Ok(out)
}

fn turn_message(
    brand: &str,
    turn: &serde_json::Map<String, serde_json::Value>,
    previous: Option<&IncomingMessage>,
) -> Result<IncomingMessage, String> {
    let text_field = |k: &str| turn.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let id = text_field("tweet_ID").ok_or("tweet_ID is missing")?;
    let text = super::twcs::decode_entities(&text_field("message").ok_or("message is missing")?);
    let at = text_field("datetime").ok_or("datetime is missing")?;
    let at: Timestamp = at
        .parse()
        .map_err(|_| format!("datetime {at:?} is not ISO-8601"))?;
    let customer = ["client", "client1"].into_iter().find_map(text_field);
    if customer.is_none() && text_field("agent").is_none() {
        return Err("the turn names neither client nor agent".into());
    }
    Ok(message(brand, id, customer, text, at, previous))
}

fn message(
    brand: &str,
    id: String,
    customer: Option<String>,
    text: String,
    at: Timestamp,
    previous: Option<&IncomingMessage>,
) -> IncomingMessage {
    let direction = if customer.is_some() {
        Direction::In
    } else {
        Direction::Out
    };
    IncomingMessage {
        channel: Channel::X,
        account: brand.to_owned(),
        platform_id: id,
        direction,
        visibility: Visibility::Public,
        reply_to: previous.map(|p| p.platform_id.clone()),
        customer: customer.map(|h| AuthorRef {
            platform_user_id: h.clone(),
            handle: h,
            display_name: None,
        }),
        text,
        platform_time: at.as_millisecond(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    }
}

/// The final agent tweet's time: start plus duration, and never before the last turn.
fn final_time(h: &Header, last: Option<&IncomingMessage>) -> Result<Timestamp, String> {
    let start: Timestamp = h
        .started
        .parse()
        .map_err(|_| format!("conversationDateTime {:?} is not ISO-8601", h.started))?;
    let end = h
        .duration
        .as_deref()
        .and_then(parse_duration)
        .and_then(|d| start.checked_add(d).ok())
        .unwrap_or(start);
    let floor = last.map(|m| m.platform_time).unwrap_or(i64::MIN);
    Ok(if end.as_millisecond() < floor {
        Timestamp::from_millisecond(floor).unwrap_or(end)
    } else {
        end
    })
}

/// `HH:MM:SS.f` as used by the dataset.
fn parse_duration(s: &str) -> Option<SignedDuration> {
    let mut parts = s.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    let millis = (h * 3600 + m * 60) * 1000 + (sec * 1000.0).round() as i64;
    Some(SignedDuration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"[
      {"dialogHeader": {"company": "AcmeHelp", "conversationDateTime": "2020-04-01T17:31:32.000Z",
                        "duration": "01:00:00.0", "messageCount": "3", "sessionID": "s1"},
       "dialogContent": [
         {"client": "user_1", "datetime": "2020-04-01T17:31:32.000Z", "message": "cache &amp; cookies &lt;3", "tweet_ID": "10"},
         {"agent": "AcmeHelp", "datetime": "2020-04-01T17:40:00.000Z", "message": "sure", "tweet_ID": "11"}
       ],
       "agentURL": {"tweet_ID": "12", "url_utterance": "see link", "doc_id": "1", "turn": "3", "url": "u"}},
      {"dialogHeader": {"company": "AcmeHelp", "conversationDateTime": "bad"},
       "dialogContent": [{"client": "user_2", "datetime": "never", "message": "x", "tweet_ID": "20"}]}
    ]"#;

    #[test]
    fn turns_chain_and_the_final_agent_tweet_is_placed_at_start_plus_duration() {
        let out = parse(SAMPLE.as_bytes());
        assert_eq!(out.len(), 4);
        let msgs: Vec<IncomingMessage> = out[..3].iter().map(|r| r.clone().unwrap().1).collect();
        assert_eq!(msgs[0].direction, Direction::In);
        assert_eq!(msgs[0].reply_to, None);
        assert_eq!(
            msgs[0].text, "cache & cookies <3",
            "entities decoded as on X"
        );
        assert_eq!(msgs[1].direction, Direction::Out);
        assert_eq!(msgs[1].reply_to.as_deref(), Some("10"));
        assert_eq!(msgs[2].platform_id, "12");
        assert_eq!(msgs[2].reply_to.as_deref(), Some("11"));
        // 17:31:32 + 1 h = 18:31:32 UTC on 2020-04-01.
        let expected: Timestamp = "2020-04-01T18:31:32Z".parse().unwrap();
        assert_eq!(msgs[2].platform_time, expected.as_millisecond());
        let rejected = out[3].clone().unwrap_err();
        assert_eq!(rejected.line, 2);
        assert!(rejected.reason.contains("datetime"));
    }

    #[test]
    fn a_file_that_is_not_json_is_one_clear_rejection() {
        let out = parse(b"[{\"dialogHeader\": ");
        assert_eq!(out.len(), 1);
        assert!(out[0]
            .clone()
            .unwrap_err()
            .reason
            .contains("not a JSON list"));
    }
}
