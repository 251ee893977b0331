//! One HTTP attempt loop shared by every platform client: rate limits and retries.
//!
//! The rules, the same on every platform:
//! - `429` (or a platform's own throttling answer) waits as long as the platform says
//!   (`Retry-After`, or the platform's reset header), then tries again; a wait longer than
//!   `RetryPolicy::max_wait` is not waited out: the send fails as unavailable and says when.
//! - `5xx` and network failures are retried with exponential backoff.
//! - Any other `4xx` is final: the platform refused this content and trying again would be
//!   refused the same way.
//!
//! Every attempt counts toward `RetryPolicy::attempts`, so a send is bounded in tries.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::replies::adapter::SendError;

/// How many times to try and how long to wait.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Backoff before the second attempt after a 5xx; doubled each time.
    pub base_delay: Duration,
    /// The longest wait accepted from a rate limit; longer ones fail the send.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, failed_attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed_attempts.saturating_sub(1));
        (self.base_delay * factor).min(self.max_wait)
    }
}

/// Waits between attempts. Tests replace it with one that records the waits instead.
#[async_trait]
pub trait Pause: Send + Sync {
    /// Waits for `d`.
    async fn pause(&self, d: Duration);
}

/// Waits on the tokio clock.
pub struct TokioPause;

#[async_trait]
impl Pause for TokioPause {
    async fn pause(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// A platform answer, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

/// What an answer means for the attempt loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Success or a final refusal: hand the answer to the client.
    Final,
    /// Rate limited; wait this long (or back off when unknown) and retry.
    Throttled(Option<Duration>),
    /// The platform failed; back off and retry.
    Failed,
}

/// The standard reading of an answer: 429 throttled, 5xx failed, everything else final.
pub fn standard_verdict(reply: &Reply, wait: Option<Duration>) -> Verdict {
    if reply.status == StatusCode::TOO_MANY_REQUESTS {
        Verdict::Throttled(wait)
    } else if reply.status.is_server_error() {
        Verdict::Failed
    } else {
        Verdict::Final
    }
}

/// `Retry-After` in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    until(at)
}

/// A reset header holding epoch seconds (X's `x-rate-limit-reset`).
pub fn reset_epoch_secs(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let secs: i64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    until(jiff::Timestamp::from_second(secs).ok()?)
}

/// A reset header holding seconds from now (Reddit's `x-ratelimit-reset`).
pub fn reset_delta_secs(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let secs: f64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// A reset header holding an ISO 8601 time (Mastodon's `X-RateLimit-Reset`).
pub fn reset_iso(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let at: jiff::Timestamp = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    until(at)
}

fn until(at: jiff::Timestamp) -> Option<Duration> {
    let ms = at.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    Some(Duration::from_millis(ms.max(0) as u64))
}

/// The HTTP client, the retry policy and the pause, shared by the platform clients.
#[derive(Clone)]
pub struct Transport {
    pub http: reqwest::Client,
    pub policy: RetryPolicy,
    pub pause: Arc<dyn Pause>,
}

impl Transport {
    /// A transport with a 20-second request timeout and the given policy.
    pub fn new(policy: RetryPolicy, pause: Arc<dyn Pause>) -> Transport {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("hearken/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds with static settings");
        Transport {
            http,
            policy,
            pause,
        }
    }

    /// Sends what `build` makes until an answer is final or the attempts run out.
    /// `judge` reads an answer with the platform's own throttling signs.
    pub async fn execute(
        &self,
        platform: &'static str,
        build: impl Fn() -> reqwest::RequestBuilder,
        judge: impl Fn(&Reply) -> Verdict,
    ) -> Result<Reply, SendError> {
        let mut last = SendError::Unavailable(format!("{platform} was not tried"));
        for attempt in 1..=self.policy.attempts.max(1) {
            let wait = match build().send().await {
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "{platform} send attempt {attempt} failed in transport");
                    last = SendError::Unavailable(format!("{platform} could not be reached"));
                    self.policy.backoff(attempt)
                }
                Ok(resp) => {
                    let reply = read(resp).await;
                    match judge(&reply) {
                        Verdict::Final => return Ok(reply),
                        Verdict::Failed => {
                            tracing::warn!(
                                attempt,
                                http.status = reply.status.as_u16(),
                                "{platform} answered {} on attempt {attempt}",
                                reply.status
                            );
                            last = SendError::Unavailable(format!(
                                "{platform} answered {}",
                                reply.status.as_u16()
                            ));
                            self.policy.backoff(attempt)
                        }
                        Verdict::Throttled(wait) => {
                            let wait = wait.unwrap_or_else(|| self.policy.backoff(attempt));
                            tracing::warn!(
                                attempt,
                                wait_ms = wait.as_millis() as u64,
                                "{platform} rate limit hit on attempt {attempt}"
                            );
                            last = SendError::Unavailable(format!(
                                "{platform} is rate limiting this account; retry after {} s",
                                wait.as_secs_f64().ceil() as u64
                            ));
                            if wait > self.policy.max_wait {
                                return Err(last);
                            }
                            wait
                        }
                    }
                }
            };
            if attempt < self.policy.attempts {
                self.pause.pause(wait).await;
            }
        }
        Err(last)
    }
}

async fn read(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(100),
            max_wait: Duration::from_millis(350),
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(350));
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", "2.5".parse().unwrap());
        assert_eq!(
            reset_delta_secs(&h, "x-ratelimit-reset"),
            Some(Duration::from_millis(2500))
        );
    }
}
