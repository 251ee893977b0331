//! Draft state machine tests. Expected hashes come from the `sha2` crate
//! directly (or a known SHA-256 test vector), never from the crate under test.

use std::collections::{BTreeMap, BTreeSet};

use hearken_voice::approval::*;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

struct Teams(BTreeMap<&'static str, Vec<&'static str>>);

impl Directory for Teams {
    fn members(&self, group: &ApproverGroup) -> BTreeSet<UserId> {
        let from_teams = group
            .teams
            .iter()
            .flat_map(|t| self.0.get(t.as_str()).cloned().unwrap_or_default())
            .map(UserId::from);
        group.users.iter().cloned().chain(from_teams).collect()
    }
}

fn dir() -> Teams {
    Teams(BTreeMap::from([
        ("legal", vec!["ann", "lou"]),
        ("pr", vec!["pat"]),
        ("brand", vec!["bea", "ben", "bo"]),
        ("leads", vec!["lee"]),
        ("support", vec!["ann", "sam", "sue"]),
    ]))
}

fn u(name: &str) -> UserId {
    UserId::from(name)
}

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn t0() -> Timestamp {
    "2025-03-01T09:00:00Z".parse().unwrap()
}

fn mins(m: i64) -> Timestamp {
    t0().checked_add(SignedDuration::from_mins(m)).unwrap()
}

fn branch(name: &str, team: &str, quorum: Quorum) -> Branch {
    Branch {
        name: name.into(),
        group: ApproverGroup::team(team),
        quorum,
        deadline_minutes: None,
        on_deadline: OnDeadline::Expire,
    }
}

fn one_step(b: Branch) -> ApprovalPath {
    ApprovalPath {
        id: "p".into(),
        name: "p".into(),
        steps: vec![Step { branches: vec![b] }],
    }
}

fn submitted(author: &str, text: &str, path: ApprovalPath) -> Draft {
    let mut d = Draft::new("d1", u(author), text, path, t0());
    d.submit(&dir(), t0()).unwrap();
    d
}

#[test]
fn version_hash_is_sha256_hex() {
    let d = Draft::new(
        "d",
        u("ann"),
        "hello",
        one_step(branch("L", "legal", Quorum::Any)),
        t0(),
    );
    assert_eq!(
        d.current().hash,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
}

#[test]
fn edit_after_approval_requires_new_approval() {
    let path = one_step(branch("Support", "support", Quorum::Any));
    let mut d = submitted("ann", "Sorry for the wait.", path);
    let v1 = sha("Sorry for the wait.");
    let out = d.approve(&dir(), &u("sam"), &v1, mins(1)).unwrap();
    assert_eq!(
        out,
        ApproveOutcome::Approved {
            version_hash: v1.clone()
        }
    );
    assert!(can_send(&d, "Sorry for the wait.").is_ok());

    let edit = d
        .edit(&dir(), &u("ann"), "Sorry for the long wait.", mins(2))
        .unwrap();
    let v2 = sha("Sorry for the long wait.");
    assert_eq!(edit.version, 2);
    assert_eq!(edit.hash, v2);
    assert_eq!(*d.status(), DraftStatus::Pending { step: 0 });
    assert_eq!(
        can_send(&d, "Sorry for the long wait."),
        Err(SendRefusal::NotApproved(DraftStatus::Pending { step: 0 }))
    );
    assert!(can_send(&d, "Sorry for the wait.").is_err());
    assert_eq!(d.decisions().len(), 1);
    assert_eq!(d.decisions()[0].version_hash, v1);
    assert_eq!(d.decisions()[0].version, 1);

    let stale = d.approve(&dir(), &u("sue"), &v1, mins(3));
    assert!(matches!(stale, Err(ApprovalError::StaleVersion { .. })));
    d.approve(&dir(), &u("sam"), &v2, mins(4)).unwrap();
    assert_eq!(*d.status(), DraftStatus::Approved);
    let ok = can_send(&d, "Sorry for the long wait.").unwrap();
    assert_eq!(
        ok,
        ApprovedVersion {
            version: 2,
            hash: v2
        }
    );
}

#[test]
fn edit_back_to_old_text_still_needs_fresh_approval() {
    let path = one_step(branch("Support", "support", Quorum::Any));
    let mut d = submitted("ann", "A", path);
    d.approve(&dir(), &u("sam"), &sha("A"), mins(1)).unwrap();
    d.edit(&dir(), &u("ann"), "B", mins(2)).unwrap();
    d.edit(&dir(), &u("ann"), "A", mins(3)).unwrap();
    assert_eq!(d.current().number, 3);
    assert_eq!(*d.status(), DraftStatus::Pending { step: 0 });
    assert!(can_send(&d, "A").is_err());
}

#[test]
fn pending_draft_expires_at_deadline_and_refuses_later_approval() {
    let mut b = branch("Legal", "legal", Quorum::Any);
    b.deadline_minutes = Some(60);
    let mut d = submitted("sam", "Refunds take 5 days.", one_step(b));
    assert!(d.tick(&dir(), mins(59)).is_empty());
    let events = d.tick(&dir(), mins(60));
    assert_eq!(
        events,
        vec![TickEvent::Expired(ExpiryReason::BranchDeadline {
            step: 0,
            branch: "Legal".into()
        })]
    );
    assert_eq!(*d.status(), DraftStatus::Expired);
    let late = d.approve(&dir(), &u("lou"), &sha("Refunds take 5 days."), mins(61));
    assert_eq!(late, Err(ApprovalError::Expired));
    assert_eq!(
        can_send(&d, "Refunds take 5 days."),
        Err(SendRefusal::Expired)
    );
    let edit = d.edit(&dir(), &u("sam"), "x", mins(62));
    assert_eq!(edit, Err(ApprovalError::Expired));
}

#[test]
fn scheduled_send_time_expires_pending_draft() {
    let path = one_step(branch("Legal", "legal", Quorum::Any));
    let mut d = Draft::new("d", u("sam"), "Hi", path, t0()).with_send_by(mins(30));
    d.submit(&dir(), t0()).unwrap();
    // Before tick runs, an approval stamped after the send-by time is refused.
    let early = d.approve(&dir(), &u("lou"), &sha("Hi"), mins(31));
    assert_eq!(early, Err(ApprovalError::DeadlinePassed));
    let events = d.tick(&dir(), mins(31));
    assert_eq!(events, vec![TickEvent::Expired(ExpiryReason::SendByPassed)]);
    assert_eq!(
        d.approve(&dir(), &u("lou"), &sha("Hi"), mins(32)),
        Err(ApprovalError::Expired)
    );
    assert_eq!(can_send(&d, "Hi"), Err(SendRefusal::Expired));
}

#[test]
fn author_in_team_cannot_approve_and_is_not_counted_for_all() {
    // support = {ann, sam, sue}; ann is the author, so All means sam and sue.
    let mut d = submitted(
        "ann",
        "Hello",
        one_step(branch("Support", "support", Quorum::All)),
    );
    let h = sha("Hello");
    assert_eq!(
        d.approve(&dir(), &u("ann"), &h, mins(1)),
        Err(ApprovalError::SelfApproval(u("ann")))
    );
    let first = d.approve(&dir(), &u("sam"), &h, mins(2)).unwrap();
    assert_eq!(
        first,
        ApproveOutcome::Recorded {
            step: 0,
            waiting: vec!["Support".into()]
        }
    );
    let second = d.approve(&dir(), &u("sue"), &h, mins(3)).unwrap();
    assert_eq!(second, ApproveOutcome::Approved { version_hash: h });
    assert_eq!(d.decisions().len(), 2);
}

#[test]
fn author_only_group_is_unreachable_at_submit() {
    let path = one_step(Branch {
        group: ApproverGroup::users(["ann"]),
        ..branch("Self", "none", Quorum::Any)
    });
    let mut d = Draft::new("d", u("ann"), "x", path, t0());
    let err = d.submit(&dir(), t0()).unwrap_err();
    assert_eq!(
        err,
        ApprovalError::Unreachable {
            step: 0,
            branch: "Self".into(),
            eligible: 0
        }
    );
}

fn legal_pr_then_brand() -> ApprovalPath {
    ApprovalPath {
        id: "lpb".into(),
        name: "Legal and PR in parallel, then Brand, 2 of 3".into(),
        steps: vec![
            Step {
                branches: vec![
                    branch("Legal", "legal", Quorum::Any),
                    branch("PR", "pr", Quorum::Any),
                ],
            },
            Step {
                branches: vec![branch("Brand", "brand", Quorum::AtLeast(2))],
            },
        ],
    }
}

/// Applies approvals in order; returns the outcome of the last one.
fn run(order: &[&str]) -> (Draft, ApproveOutcome) {
    let mut d = submitted("sam", "Statement", legal_pr_then_brand());
    let h = sha("Statement");
    let mut last = None;
    for (i, who) in order.iter().enumerate() {
        last = Some(d.approve(&dir(), &u(who), &h, mins(i as i64 + 1)).unwrap());
    }
    (d, last.unwrap())
}

#[test]
fn parallel_then_quorum_in_several_orders() {
    let orders: [&[&str]; 4] = [
        &["lou", "pat", "bea", "ben"],
        &["pat", "lou", "bo", "bea"],
        &["pat", "ann", "ben", "bo"],
        &["ann", "pat", "bo", "ben"],
    ];
    for order in orders {
        let (d, last) = run(order);
        assert_eq!(*d.status(), DraftStatus::Approved, "order {order:?}");
        assert_eq!(
            last,
            ApproveOutcome::Approved {
                version_hash: sha("Statement")
            }
        );
    }
}

#[test]
fn parallel_step_waits_for_both_branches_and_brand_needs_two() {
    let (d, out) = run(&["lou"]);
    assert_eq!(
        out,
        ApproveOutcome::Recorded {
            step: 0,
            waiting: vec!["PR".into()]
        }
    );
    assert_eq!(*d.status(), DraftStatus::Pending { step: 0 });

    let (_, out) = run(&["lou", "pat"]);
    assert_eq!(
        out,
        ApproveOutcome::StepCompleted {
            completed: 0,
            next: 1
        }
    );

    let (d, out) = run(&["lou", "pat", "bea"]);
    assert_eq!(
        out,
        ApproveOutcome::Recorded {
            step: 1,
            waiting: vec!["Brand".into()]
        }
    );
    assert!(can_send(&d, "Statement").is_err());
}

#[test]
fn brand_approval_before_legal_and_pr_is_refused_not_held() {
    let mut d = submitted("sam", "Statement", legal_pr_then_brand());
    let h = sha("Statement");
    let early = d.approve(&dir(), &u("bea"), &h, mins(1));
    assert_eq!(
        early,
        Err(ApprovalError::StepNotActive {
            approver: u("bea"),
            active_step: 0,
            their_step: 1
        })
    );
    d.approve(&dir(), &u("pat"), &h, mins(2)).unwrap();
    d.approve(&dir(), &u("lou"), &h, mins(3)).unwrap();
    // The refused approval was not held: Brand still needs two fresh ones.
    let out = d.approve(&dir(), &u("ben"), &h, mins(4)).unwrap();
    assert_eq!(
        out,
        ApproveOutcome::Recorded {
            step: 1,
            waiting: vec!["Brand".into()]
        }
    );
    d.approve(&dir(), &u("bea"), &h, mins(5)).unwrap();
    assert_eq!(*d.status(), DraftStatus::Approved);
}

#[test]
fn outsider_and_duplicate_approvals_are_refused() {
    let mut d = submitted("sam", "Statement", legal_pr_then_brand());
    let h = sha("Statement");
    assert_eq!(
        d.approve(&dir(), &u("zed"), &h, mins(1)),
        Err(ApprovalError::NotEligible {
            approver: u("zed"),
            step: 0
        })
    );
    d.approve(&dir(), &u("lou"), &h, mins(2)).unwrap();
    assert_eq!(
        d.approve(&dir(), &u("lou"), &h, mins(3)),
        Err(ApprovalError::AlreadyDecided(u("lou")))
    );
}

#[test]
fn edit_after_later_step_restarts_from_first_step() {
    let (mut d, _) = run(&["lou", "pat", "bea"]);
    d.edit(&dir(), &u("sam"), "Statement v2", mins(10)).unwrap();
    assert_eq!(*d.status(), DraftStatus::Pending { step: 0 });
    let h2 = sha("Statement v2");
    // Legal approved v1 but must approve again.
    let out = d.approve(&dir(), &u("pat"), &h2, mins(11)).unwrap();
    assert_eq!(
        out,
        ApproveOutcome::Recorded {
            step: 0,
            waiting: vec!["Legal".into()]
        }
    );
}

#[test]
fn one_byte_mutation_after_approval_is_refused() {
    let text = "Thanks for waiting, your refund is on its way.";
    let mut d = submitted("sam", text, one_step(branch("Legal", "legal", Quorum::Any)));
    d.approve(&dir(), &u("lou"), &sha(text), mins(1)).unwrap();
    let mutated = "Thanks for waiting, your refund is on its way!";
    assert_eq!(
        can_send(&d, mutated),
        Err(SendRefusal::TextMismatch {
            approved: sha(text),
            given: sha(mutated)
        })
    );
    assert!(can_send(&d, &format!("{text} ")).is_err());
    assert_eq!(can_send(&d, text).unwrap().hash, sha(text));
    assert!(d.mark_sent(mutated).is_err());
    assert_eq!(d.mark_sent(text).unwrap().version, 1);
    assert_eq!(can_send(&d, text), Err(SendRefusal::AlreadySent));
}

#[test]
fn rejection_then_edit_resubmits() {
    let mut d = submitted(
        "sam",
        "Rude",
        one_step(branch("Legal", "legal", Quorum::Any)),
    );
    d.reject(&dir(), &u("lou"), &sha("Rude"), "tone", mins(1))
        .unwrap();
    assert_eq!(*d.status(), DraftStatus::Rejected);
    assert!(can_send(&d, "Rude").is_err());
    d.edit(&dir(), &u("sam"), "Kind", mins(2)).unwrap();
    assert_eq!(*d.status(), DraftStatus::Pending { step: 0 });
}

#[test]
fn approver_who_edits_cannot_approve_own_version() {
    let mut d = submitted(
        "sam",
        "Draft",
        one_step(branch("Legal", "legal", Quorum::Any)),
    );
    d.edit(&dir(), &u("lou"), "Draft, edited", mins(1)).unwrap();
    assert_eq!(
        d.approve(&dir(), &u("lou"), &sha("Draft, edited"), mins(2)),
        Err(ApprovalError::SelfApproval(u("lou")))
    );
    d.approve(&dir(), &u("ann"), &sha("Draft, edited"), mins(3))
        .unwrap();
    assert_eq!(*d.status(), DraftStatus::Approved);
    assert_eq!(
        d.edit(&dir(), &u("zed"), "hijack", mins(4)),
        Err(ApprovalError::NotEditor(u("zed")))
    );
}

fn escalating_legal() -> ApprovalPath {
    one_step(Branch {
        deadline_minutes: Some(30),
        on_deadline: OnDeadline::Escalate(ApproverGroup::team("leads")),
        ..branch("Legal", "legal", Quorum::Any)
    })
}

#[test]
fn deadline_escalates_branch_to_escalation_group() {
    let mut d = submitted("sam", "Hi", escalating_legal());
    let events = d.tick(&dir(), mins(31));
    assert_eq!(
        events,
        vec![TickEvent::Escalated {
            step: 0,
            branch: "Legal".into(),
            to: ApproverGroup::team("leads")
        }]
    );
    assert_eq!(*d.status(), DraftStatus::Pending { step: 0 });
    let state = &d.branch_states()[0];
    assert_eq!(state.group, ApproverGroup::team("leads"));
    assert!(state.escalated);
    assert_eq!(state.started_at, mins(30));
    assert_eq!(
        d.approve(&dir(), &u("lou"), &sha("Hi"), mins(32)),
        Err(ApprovalError::NotEligible {
            approver: u("lou"),
            step: 0
        })
    );
    d.approve(&dir(), &u("lee"), &sha("Hi"), mins(33)).unwrap();
    assert_eq!(*d.status(), DraftStatus::Approved);
}

#[test]
fn escalated_branch_expires_after_second_deadline() {
    let mut d = submitted("sam", "Hi", escalating_legal());
    // One late tick covers both deadlines (30 and 60 minutes).
    let events = d.tick(&dir(), mins(61));
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0], TickEvent::Escalated { .. }));
    assert!(matches!(events[1], TickEvent::Expired(_)));
    assert_eq!(*d.status(), DraftStatus::Expired);
}

#[test]
fn draft_round_trips_through_json() {
    let d = submitted("sam", "Hi", escalating_legal());
    let json = serde_json::to_string(&d).unwrap();
    let back: Draft = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}

#[test]
fn invalid_path_is_refused_at_submit() {
    let mut d = Draft::new(
        "d",
        u("sam"),
        "x",
        one_step(branch("L", "legal", Quorum::AtLeast(0))),
        t0(),
    );
    assert!(matches!(
        d.submit(&dir(), t0()),
        Err(ApprovalError::InvalidPath(PathError::ZeroQuorum { .. }))
    ));
}

#[test]
fn tampered_stored_text_is_refused_on_load() {
    let d = submitted("sam", "Hi", escalating_legal());
    let json = serde_json::to_string(&d)
        .unwrap()
        .replace("\"text\":\"Hi\"", "\"text\":\"Ha\"");
    assert!(serde_json::from_str::<Draft>(&json).is_err());
}

#[test]
fn one_approval_counts_for_every_active_branch_containing_the_approver() {
    // ann is in both legal and support; sam is the author.
    let path = ApprovalPath {
        id: "p".into(),
        name: "p".into(),
        steps: vec![Step {
            branches: vec![
                branch("Legal", "legal", Quorum::Any),
                branch("Support", "support", Quorum::Any),
            ],
        }],
    };
    let mut d = submitted("sam", "Hi", path);
    let out = d.approve(&dir(), &u("ann"), &sha("Hi"), mins(1)).unwrap();
    assert_eq!(
        out,
        ApproveOutcome::Approved {
            version_hash: sha("Hi")
        }
    );
}
