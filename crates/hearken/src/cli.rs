//! The `hearken` command line: one binary for the server, the demo, data moves and admin.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::app::AppState;
use crate::audit::checkpoint::AuditKey;
use crate::auth::password;
use crate::auth::secret::{new_api_token, new_token, token_hash};
use crate::auth::users::{self, NewUserRequest};
use crate::config::Settings;
use crate::domain::role::Role;
use crate::domain::{Actor, WorkspaceId};
use crate::import::{self, progress::Progress, Format};
use crate::storage::{self, DynStore};

/// Hearken: a social customer care desk.
#[derive(Parser)]
#[command(name = "hearken", version, about)]
pub struct Cli {
    /// A TOML configuration file (otherwise defaults and HEARKEN_* variables).
    #[arg(long, global = true, env = "HEARKEN_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Run a demo on a fresh embedded database with bundled sample data and live traffic.
    Demo(crate::demo::DemoArgs),
    /// Import messages from a file.
    Import(ImportArgs),
    /// Export every message as canonical NDJSON.
    Export(ExportArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure import and inbox performance.
    Bench(crate::bench::BenchArgs),
    /// Reports (#3).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Connected platform accounts (issue #6).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Measure webhook ingestion through HTTP (issue #6).
    BenchIngest(crate::channels::bench::BenchIngestArgs),
    /// Time the 30-day SLA dashboard over a large synthetic workspace (#3).
    BenchSla(crate::sla::bench::SlaBenchArgs),
    /// Measure what the approvals gate adds to a reply (issue #4).
    BenchApprovals(crate::approvals::bench::BenchApprovalsArgs),
    /// Measure audit append, verification and the person's timeline (issue #5).
    BenchHistory(crate::history::bench::BenchHistoryArgs),
}

/// Reports on the command line (#3).
#[derive(Subcommand)]
pub enum ReportCommand {
    /// The SLA report: `hearken report sla --from 2024-06-01 --to 2024-06-30 --by account --format csv`.
    Sla(crate::sla::cli::SlaReportArgs),
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Connect an account; secrets are read from the environment or files, never flags,
    /// so they stay out of shell history and process listings.
    Connect {
        #[arg(long)]
        channel: String,
        #[arg(long)]
        handle: String,
        /// The account's own id on the platform.
        #[arg(long)]
        platform_user_id: String,
        #[arg(long)]
        app_id: Option<String>,
        /// Instance URL (Mastodon).
        #[arg(long)]
        base_url: Option<String>,
        /// Environment variable holding the app secret.
        #[arg(long, default_value = "HEARKEN_ACCOUNT_APP_SECRET")]
        app_secret_env: String,
        /// Environment variable holding the access token.
        #[arg(long, default_value = "HEARKEN_ACCOUNT_ACCESS_TOKEN")]
        access_token_env: String,
        /// Environment variable holding the Meta verify token.
        #[arg(long, default_value = "HEARKEN_ACCOUNT_VERIFY_TOKEN")]
        verify_token_env: String,
        #[command(flatten)]
        ws: WorkspaceArg,
    },
    /// List connected accounts with masked credentials and webhook paths.
    List {
        #[command(flatten)]
        ws: WorkspaceArg,
    },
}

/// Which workspace a command works in.
#[derive(Args, Clone)]
pub struct WorkspaceArg {
    /// Workspace slug; created if it does not exist.
    #[arg(long, default_value = "default")]
    pub workspace: String,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The file's format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The file to read.
    pub file: PathBuf,
    /// Print a JSON summary {"read","imported","duplicates","rejected"}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub ws: WorkspaceArg,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Only `ndjson` is written.
    #[arg(long, default_value = "ndjson")]
    pub format: String,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub ws: WorkspaceArg,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; prints a generated password unless one comes on standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "agent")]
        role: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        ws: WorkspaceArg,
    },
    /// Change a user's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
    /// Set a new password (generated and printed unless --password-stdin); ends sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is printed once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify a workspace's hash chain and checkpoints, and report the first broken link.
    Verify {
        #[command(flatten)]
        ws: WorkspaceArg,
    },
    /// Sign and store a checkpoint of the workspace's chain head (needs HEARKEN_AUDIT_KEY).
    Checkpoint {
        #[command(flatten)]
        ws: WorkspaceArg,
    },
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    crate::telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Demo(args) => crate::demo::run(settings, args).await,
        Command::Bench(args) => crate::bench::run(settings, args).await,
        Command::BenchIngest(args) => crate::channels::bench::run(settings, args).await,
        Command::Account(cmd) => account(settings, cmd).await,
        Command::BenchSla(args) => crate::sla::bench::run(args).await,
        Command::BenchApprovals(args) => crate::approvals::bench::run(settings, args).await,
        Command::BenchHistory(args) => crate::history::bench::run(args).await,
        Command::Audit(cmd) => {
            let store = open(&settings).await?;
            let key = settings.audit_key();
            match cmd {
                AuditCommand::Verify { ws } => {
                    println!(
                        "{}",
                        audit_verify(&store, &ws.workspace, key.as_ref()).await?
                    );
                    Ok(())
                }
                AuditCommand::Checkpoint { ws } => {
                    audit_checkpoint(&store, &ws.workspace, key.as_ref()).await
                }
            }
        }
        other => {
            let store = open(&settings).await?;
            admin(&store, other).await
        }
    }
}

async fn admin(store: &DynStore, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Import(a) => import_file(store, a).await,
        Command::Export(a) => export(store, a).await,
        Command::User(u) => user(store, u).await,
        Command::Token(TokenCommand::Create { email, name }) => token(store, &email, &name).await,
        Command::Report(ReportCommand::Sla(a)) => crate::sla::cli::run(store, a).await,
        Command::Serve
        | Command::Demo(_)
        | Command::Bench(_)
        | Command::BenchIngest(_)
        | Command::BenchSla(_)
        | Command::BenchApprovals(_)
        | Command::BenchHistory(_)
        | Command::Audit(_)
        | Command::Account(_) => unreachable!("handled by run"),
    }
}

/// Opens the configured database, creating its directory for SQLite.
pub async fn open(settings: &Settings) -> anyhow::Result<DynStore> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    }
    let store = storage::connect(&url)
        .await
        .context("opening the database")?;
    tracing::info!(backend = store.backend(), "database ready");
    Ok(store)
}

/// The workspace with this slug, created if missing.
pub async fn ensure_workspace(store: &DynStore, slug: &str) -> anyhow::Result<WorkspaceId> {
    if let Some(w) = store.workspace_by_slug(slug).await? {
        return Ok(WorkspaceId(w.id));
    }
    let valid = !slug.is_empty()
        && slug.len() <= 64
        && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        bail!("a workspace slug is 1 to 64 letters, digits or dashes");
    }
    let w = store.create_workspace(slug, slug).await?;
    Ok(WorkspaceId(w.id))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let store = open(&settings).await?;
    let listen = settings.listen;
    let state = AppState::new(store, settings);
    start_background(&state);
    serve_state(state, listen).await
}

/// Starts what runs beside the HTTP server, for `serve` and `demo` alike: signed audit
/// checkpoints, scheduled retention, the channel workers, and the drafts' scheduler.
pub fn start_background(state: &AppState) {
    let (store, settings) = (&state.store, &state.settings);
    if let Some(key) = settings.audit_key() {
        let every = std::time::Duration::from_secs(settings.audit_checkpoint_minutes.max(1) * 60);
        crate::audit::checkpoint::spawn_periodic(store.clone(), key, every);
    } else {
        tracing::warn!("HEARKEN_AUDIT_KEY is not set: audit checkpoints are not being signed");
    }
    if settings.retention_hours > 0 {
        let every = std::time::Duration::from_secs(settings.retention_hours * 3600);
        crate::history::retention::spawn(store.clone(), every);
    }
    start_channels(state);
    // Issue #4: deadlines, escalation, expiry and scheduled sends of drafts.
    crate::approvals::schedule::spawn(state.clone(), std::time::Duration::from_secs(15));
}

/// Starts the delivery worker, the quiet-source monitor and reconciliation polls.
pub fn start_channels(state: &AppState) {
    state.channels.spawn_worker(state.clone());
    let (store, channels) = (state.store.clone(), state.channels.clone());
    let every = state.settings.reconcile_secs;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        let mut since_reconcile = 0u64;
        loop {
            tick.tick().await;
            if let Err(e) = crate::channels::monitor::check_quiet(&store).await {
                tracing::error!(error = %e, "checking quiet sources failed");
            }
            since_reconcile += 60;
            if every > 0 && since_reconcile >= every {
                since_reconcile = 0;
                if let Err(e) = crate::channels::reconcile::reconcile_all(&channels, &store).await {
                    tracing::error!(error = %e, "reconciliation failed");
                }
            }
        }
    });
}

async fn account(settings: Settings, cmd: AccountCommand) -> anyhow::Result<()> {
    let store = open(&settings).await?;
    let state = AppState::new(store.clone(), settings);
    match cmd {
        AccountCommand::Connect {
            channel,
            handle,
            platform_user_id,
            app_id,
            base_url,
            app_secret_env,
            access_token_env,
            verify_token_env,
            ws,
        } => {
            let ws = ensure_workspace(&store, &ws.workspace).await?;
            let req = crate::channels::connect::ConnectRequest {
                channel,
                handle,
                platform_user_id,
                app_id,
                base_url,
                app_secret: std::env::var(&app_secret_env).ok(),
                access_token: std::env::var(&access_token_env).ok(),
                verify_token: std::env::var(&verify_token_env).ok(),
            };
            let v = crate::channels::connect::connect(
                &state.channels,
                &store,
                ws,
                &req,
                &Actor::System("cli"),
            )
            .await?;
            println!("{}", serde_json::to_string(&v)?);
        }
        AccountCommand::List { ws } => {
            let ws = ensure_workspace(&store, &ws.workspace).await?;
            for v in crate::channels::connect::list(&store, ws).await? {
                println!("{}", serde_json::to_string(&v)?);
            }
        }
    }
    Ok(())
}

/// Binds and serves until Ctrl-C.
pub async fn serve_state(state: AppState, listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let _sla_watch = crate::sla::watch::spawn(state.clone()); // SLA crossings pushed live (#3)
    let app = crate::http::router::router(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    tracing::info!(address = %listen, "Hearken listening on http://{listen}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}

async fn import_file(store: &DynStore, a: ImportArgs) -> anyhow::Result<()> {
    let ws = ensure_workspace(store, &a.ws.workspace).await?;
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let estimate = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    let progress = Progress::for_rows(estimate);
    let rows = import::parse(a.format, &bytes);
    let summary = import::run(store, ws, &Actor::System("import"), rows, &progress).await?;
    if a.json {
        let short = serde_json::json!({
            "read": summary.read, "imported": summary.imported,
            "duplicates": summary.duplicates, "rejected": summary.rejected,
            "rejections": summary.rejections,
        });
        println!("{short}");
    } else {
        println!(
            "read {}, imported {}, duplicates {}, rejected {}",
            summary.read, summary.imported, summary.duplicates, summary.rejected
        );
        for r in summary.rejections.iter().take(50) {
            println!("  line {}: {}", r.line, r.reason);
        }
    }
    Ok(())
}

async fn export(store: &DynStore, a: ExportArgs) -> anyhow::Result<()> {
    if a.format != "ndjson" {
        bail!("only --format ndjson can be exported");
    }
    let ws = ensure_workspace(store, &a.ws.workspace).await?;
    let mut out: Box<dyn std::io::Write + Send> = match &a.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let n = crate::export::write_ndjson(store, ws, &mut out).await?;
    eprintln!("exported {n} messages");
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok((s.trim_end_matches(['\n', '\r']).to_owned(), false));
    }
    Ok((new_token()[..20].to_owned(), true))
}

async fn user(store: &DynStore, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
            ws,
        } => {
            let ws = ensure_workspace(store, &ws.workspace).await?;
            let (pw, generated) = read_password(password_stdin)?;
            let req = NewUserRequest {
                name,
                email,
                role,
                password: pw.clone(),
            };
            let u = users::create(store, ws, &req, &Actor::System("cli"))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created user {} ({}) with role {}", u.id, u.email, u.role);
            if generated {
                println!("password: {pw}");
            }
        }
        UserCommand::SetRole { email, role } => {
            let u = find_user(store, &email).await?;
            let role: Role = role.parse()?;
            store
                .set_role(
                    WorkspaceId(u.workspace_id),
                    u.id,
                    role,
                    &Actor::System("cli"),
                )
                .await?;
            println!("user {} is now {}", u.id, role);
        }
        UserCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let u = find_user(store, &email).await?;
            let (pw, generated) = read_password(password_stdin)?;
            let hash = password::hash(&pw)?;
            store
                .set_password(
                    WorkspaceId(u.workspace_id),
                    u.id,
                    &hash,
                    &Actor::System("cli"),
                )
                .await?;
            println!(
                "password reset for user {}; their sessions have ended",
                u.id
            );
            if generated {
                println!("password: {pw}");
            }
        }
    }
    Ok(())
}

async fn find_user(store: &DynStore, email: &str) -> anyhow::Result<crate::storage::UserRow> {
    store
        .user_by_email(&email.trim().to_lowercase())
        .await?
        .with_context(|| "no user with that email".to_string())
}

async fn token(store: &DynStore, email: &str, name: &str) -> anyhow::Result<()> {
    let u = find_user(store, email).await?;
    let token = new_api_token();
    store
        .create_token(
            WorkspaceId(u.workspace_id),
            u.id,
            name,
            &token_hash(&token),
            &Actor::System("cli"),
        )
        .await?;
    println!("{token}");
    Ok(())
}

/// Verifies a workspace's audit chain: the verdict's description when intact, an error
/// naming the first broken link (sequence and row id) otherwise.
pub async fn audit_verify(
    store: &DynStore,
    slug: &str,
    key: Option<&AuditKey>,
) -> anyhow::Result<String> {
    let ws = store
        .workspace_by_slug(slug)
        .await?
        .context("no such workspace")?;
    let verdict = crate::audit::verify::verify_with(store, WorkspaceId(ws.id), key).await?;
    if verdict.is_intact() {
        Ok(verdict.describe())
    } else {
        bail!(verdict.describe())
    }
}

async fn audit_checkpoint(
    store: &DynStore,
    slug: &str,
    key: Option<&AuditKey>,
) -> anyhow::Result<()> {
    let key = key.context("set HEARKEN_AUDIT_KEY to sign checkpoints")?;
    let ws = store
        .workspace_by_slug(slug)
        .await?
        .context("no such workspace")?;
    let cp = crate::audit::checkpoint::record(store, WorkspaceId(ws.id), key).await?;
    println!(
        "checkpoint {} at sequence {}, key {}",
        cp.id, cp.seq, cp.key_id
    );
    Ok(())
}
