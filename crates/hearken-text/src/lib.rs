//! Text rules for Hearken, the social customer-care desk.
//!
//! This crate is pure: no I/O, no clocks, no global state. It holds the text
//! rules the desk needs before it talks to a platform or shows a post:
//!
//! * [`length`]: how long a reply is *as each platform counts it*, and whether
//!   it fits that platform's limit;
//! * [`preview`](mod@preview): short, grapheme-safe previews of posts for lists and
//!   notifications;
//! * [`query`]: the listening query language used to pick public posts
//!   (`refund OR "money back" -spam lang:en`).
//!
//! ```
//! use hearken_text::{check_length, parse, preview, Platform, Post};
//!
//! assert_eq!(check_length(Platform::X, "see example.com"), Ok(27));
//! assert_eq!(preview("Where is   my parcel?", 11), "Where is my…");
//!
//! let query = parse(r#"(late OR delayed) parcel -spam lang:en"#).unwrap();
//! let post = Post { text: "My parcel is LATE", author: "@ann", lang: Some("en-GB") };
//! assert!(query.matches(&post));
//! assert_eq!(query.to_string(), "(late OR delayed) AND parcel AND NOT spam AND lang:en");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod length;
pub mod preview;
pub mod query;

pub use length::{check_length, weighted_length, LengthError, Platform};
pub use preview::preview;
pub use query::{parse, Post, Query, QueryError, QueryErrorKind};
