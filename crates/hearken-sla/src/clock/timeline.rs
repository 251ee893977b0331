//! The policy versions of one conversation, ordered in time.

use jiff::Timestamp;

use crate::policy::{version_at, SlaPolicy, DEFAULT_RESOLVED_STATUSES};

/// Versions sorted by `effective_from`.
pub(super) struct Timeline<'p> {
    versions: Vec<&'p SlaPolicy>,
}

impl<'p> Timeline<'p> {
    pub fn new(versions: &'p [SlaPolicy]) -> Self {
        let mut versions: Vec<&SlaPolicy> = versions.iter().collect();
        versions.sort_by_key(|p| (p.effective_from, p.version));
        Timeline { versions }
    }

    /// Version in force at `at`; before the first version takes effect, the
    /// earliest version applies (the conversation was assigned that policy).
    pub fn at(&self, at: Timestamp) -> Option<&'p SlaPolicy> {
        version_at(self.versions.iter().copied(), at).or(self.versions.first().copied())
    }

    /// Versions taking effect strictly inside `(from, to)`.
    pub fn changes_within(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Iterator<Item = &'p SlaPolicy> + '_ {
        self.versions
            .iter()
            .copied()
            .filter(move |p| from < p.effective_from && p.effective_from < to)
    }

    /// Whether `status` resolves the conversation at `at`.
    pub fn is_resolved_status(&self, at: Timestamp, status: &str) -> bool {
        match self.at(at) {
            Some(p) => p.is_resolved_status(status),
            None => DEFAULT_RESOLVED_STATUSES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(status)),
        }
    }
}
