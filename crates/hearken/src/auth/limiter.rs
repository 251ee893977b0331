//! Login rate limiting: after too many failures for one email from one address within a
//! window, further attempts are refused until the window passes. Kept in memory: a
//! restart forgets counts, which only ever makes the limit looser, never locks anyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failed logins per key within a sliding window.
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// A limiter allowing `max_failures` within `window`.
    pub fn new(max_failures: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether another attempt is allowed for this key now.
    pub fn allowed(&self, key: &str, now: Instant) -> bool {
        let mut map = self.failures.lock().expect("limiter lock");
        let recent = map.entry(key.to_owned()).or_default();
        recent.retain(|t| now.duration_since(*t) < self.window);
        (recent.len() as u32) < self.max_failures
    }

    /// Records a failure.
    pub fn failed(&self, key: &str, now: Instant) {
        let mut map = self.failures.lock().expect("limiter lock");
        map.entry(key.to_owned()).or_default().push(now);
        if map.len() > 100_000 {
            // Bound memory under a spray of distinct keys: drop stale entries.
            let window = self.window;
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < window));
        }
    }

    /// Clears the count after a success.
    pub fn succeeded(&self, key: &str) {
        self.failures.lock().expect("limiter lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_recovers_after_the_window() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.allowed("k", t0));
            l.failed("k", t0);
        }
        assert!(!l.allowed("k", t0));
        assert!(l.allowed("other", t0));
        assert!(l.allowed("k", t0 + Duration::from_secs(61)));
    }
}
