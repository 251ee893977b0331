//! `hearken bench-approvals`: how long the approvals gate adds to a reply, on SQLite or
//! PostgreSQL. Times a direct reply through the gate (style check and routing, no rule
//! matching), a reply held for approval, its approval with the send, and the style check
//! alone. A benchmark, never a test: it prints figures and asserts nothing.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use super::{decide, voice};
use crate::app::AppState;
use crate::auth::principal::Credential;
use crate::auth::Principal;
use crate::config::Settings;
use crate::domain::channel::{Channel, Visibility};
use crate::domain::message::{AuthorRef, Direction, IncomingMessage};
use crate::domain::role::Role;
use crate::domain::time::now_millis;
use crate::domain::{Actor, WorkspaceId};
use crate::replies::send::{send_reply, ReplyOptions, ReplyOutcome};
use crate::storage::{self, NewUser};

/// Options of the benchmark.
#[derive(Args)]
pub struct BenchApprovalsArgs {
    /// Database URL; default a fresh SQLite file in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Replies timed per kind.
    #[arg(long, default_value_t = 300)]
    pub replies: usize,
}

/// Runs the benchmark and prints its figures.
pub async fn run(settings: Settings, args: BenchApprovalsArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "hearken-bench-{}",
        crate::auth::secret::new_token()
    ));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
    let result = measure(settings, &url, args.replies).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(settings: Settings, url: &str, n: usize) -> anyhow::Result<()> {
    let store = storage::connect(url).await?;
    println!("backend: {}  replies per kind: {n}", store.backend());
    let ws = WorkspaceId(store.create_workspace("bench-approvals", "bench").await?.id);
    let state = AppState::new(store, settings);
    let agent = person(&state, ws, "agent", Role::Agent).await?;
    let approver = person(&state, ws, "approver", Role::Approver).await?;
    configure(&state, ws).await?;
    let rights = crate::storage::approvals::NewCertification {
        user_id: agent.user_id,
        channels: "[\"sandbox\"]".into(),
        attempt_id: None,
        granted_at: now_millis() - 1,
        expires_at: Some(now_millis() + 365 * 24 * 3_600_000),
    };
    let system = Actor::System("bench");
    state
        .store
        .grant_certification(ws, &rights, &system)
        .await?;
    let conv = conversation(&state, ws).await?;

    let mut direct = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let out = send_reply(
            &state,
            &agent,
            conv,
            &format!("Thanks, done {i}."),
            &ReplyOptions::default(),
        )
        .await?;
        direct.push(started.elapsed());
        anyhow::ensure!(
            matches!(out, ReplyOutcome::Sent(_)),
            "a plain reply was held"
        );
    }
    report("direct reply through the gate", &mut direct);

    let mut held = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let out = send_reply(
            &state,
            &agent,
            conv,
            &format!("About the refund {i}."),
            &ReplyOptions::default(),
        )
        .await?;
        held.push(started.elapsed());
        match out {
            ReplyOutcome::Held(id) => ids.push(id),
            ReplyOutcome::Sent(_) => anyhow::bail!("a refund reply was not held"),
        }
    }
    report("reply held for approval", &mut held);

    let mut approved = Vec::with_capacity(n);
    for (i, id) in ids.into_iter().enumerate() {
        let hash = hearken_voice::approval::text_hash(&format!("About the refund {i}."));
        let started = Instant::now();
        decide::approve(&state, &approver, id, &hash).await?;
        approved.push(started.elapsed());
    }
    report("approval that sends", &mut approved);

    let guide = voice::style_book(&state, ws)
        .await?
        .context("no style book")?;
    let guide = guide.guide_for("en").context("no en guide")?.clone();
    let text = "Thanks for waiting! Your refund is on its way; terms apply. See https://example.com/help. ^AB";
    let mut check = Vec::with_capacity(n * 10);
    for _ in 0..n * 10 {
        let started = Instant::now();
        std::hint::black_box(voice::check(&guide, text, "x"));
        check.push(started.elapsed());
    }
    report("style check alone (x counting)", &mut check);
    Ok(())
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "{what}: p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
}

async fn person(
    state: &AppState,
    ws: WorkspaceId,
    name: &str,
    role: Role,
) -> anyhow::Result<Principal> {
    let user = NewUser {
        email: format!("{name}@bench.invalid"),
        display_name: name.to_owned(),
        role: role.as_str().to_owned(),
        team_id: None,
        password_hash: String::new(),
    };
    let row = state
        .store
        .create_user(ws, &user, &Actor::System("bench"))
        .await?;
    Ok(Principal {
        user_id: row.id,
        workspace: ws,
        role,
        display_name: name.to_owned(),
        credential: Credential::Token,
    })
}

async fn configure(state: &AppState, ws: WorkspaceId) -> anyhow::Result<()> {
    let actor = Actor::System("bench");
    let guide = serde_json::json!({ "version": 1, "locale": "en", "rules": [
        { "id": "asap", "severity": "blocking", "kind": "banned_phrase", "phrase": "ASAP" },
        { "id": "len", "severity": "blocking", "kind": "max_length", "channel": "x", "max": 280 },
        { "id": "terms", "severity": "blocking", "kind": "required_disclosure", "topics": ["refund"], "disclosure": "refund" },
        { "id": "links", "severity": "warning", "kind": "allowed_link_domains", "domains": ["example.com"] },
        { "id": "shout", "severity": "warning", "kind": "shouting", "max_upper_percent": 60, "min_letters": 10 },
        { "id": "long", "severity": "warning", "kind": "long_sentence", "max_words": 40 } ] });
    state
        .store
        .save_style_guide(ws, "en", 1, true, &guide.to_string(), &actor)
        .await?;
    let path = serde_json::json!({ "id": "review", "name": "Review", "steps": [ { "branches": [
        { "name": "Review", "group": { "roles": ["approver"] }, "quorum": "any", "on_deadline": "expire" } ] } ] });
    state
        .store
        .put_approval_path(ws, "review", &path.to_string(), &actor)
        .await?;
    let table = serde_json::json!({ "rules": [ { "id": "refunds", "conditions": [
        { "if": "contains_any", "value": ["refund"] } ], "path_id": "review" } ],
        "trainee_path": null, "risk": { "public": 0, "vip": 0, "per_follower_order": 0,
        "per_risky_term": 0, "uncertified": 0, "per_priority_rank": 0 } });
    state
        .store
        .save_routing_table(ws, &table.to_string(), &actor)
        .await?;
    Ok(())
}

async fn conversation(state: &AppState, ws: WorkspaceId) -> anyhow::Result<i64> {
    let msg = IncomingMessage {
        channel: Channel::Sandbox,
        account: "bench".into(),
        platform_id: "bench-1".into(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: None,
        customer: Some(AuthorRef {
            platform_user_id: "c1".into(),
            handle: "customer".into(),
            display_name: None,
        }),
        text: "Where is my refund?".into(),
        platform_time: now_millis(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    };
    let report = state
        .store
        .ingest(ws, &Actor::System("bench"), &[msg])
        .await?;
    report
        .touched_conversations
        .first()
        .copied()
        .context("no conversation")
}
