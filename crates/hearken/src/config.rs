//! Typed settings, loaded once: defaults, then an optional TOML file, then `HEARKEN_*`
//! environment variables. `HEARKEN_DATABASE_URL_FILE` reads the URL (which may carry a
//! password) from a file instead.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Text,
    /// One JSON object per line, for production.
    Json,
}

/// Everything Hearken can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Where the embedded database and other local files live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to `sqlite://<data_dir>/hearken.db`.
    #[serde(skip_serializing)]
    pub database_url: Option<SecretString>,
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// Log output format.
    pub log_format: LogFormat,
    /// How long a browser session lasts, in hours.
    pub session_hours: i64,
    /// Set the `Secure` flag on cookies (turn on behind HTTPS).
    pub secure_cookies: bool,
    /// Failed logins allowed per email and address within `login_window_secs`.
    pub login_attempts: u32,
    /// The window for counting failed logins.
    pub login_window_secs: u64,
    /// Installation key sealing platform credentials at rest (64 hex digits, or a
    /// passphrase). `HEARKEN_SECRET_KEY_FILE` reads it from a file instead.
    #[serde(skip_serializing)]
    pub secret_key: Option<SecretString>,
    /// Seconds between reconciliation polls of polled sources (0 turns them off).
    pub reconcile_secs: u64,
    /// The secret that signs audit checkpoints (`HEARKEN_AUDIT_KEY`, or a file named by
    /// `HEARKEN_AUDIT_KEY_FILE`). Without it checkpoints are not signed.
    #[serde(skip_serializing)]
    pub audit_key: Option<SecretString>,
    /// How often the server signs a checkpoint of each moved audit chain, in minutes.
    pub audit_checkpoint_minutes: u64,
    /// Hours between runs of the workspaces' retention policies (0 turns the schedule off;
    /// `POST /api/v1/retention/run` still applies a policy at once).
    pub retention_hours: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Text,
            session_hours: 12,
            secure_cookies: false,
            login_attempts: 5,
            login_window_secs: 300,
            secret_key: None,
            reconcile_secs: 300,
            audit_key: None,
            audit_checkpoint_minutes: 60,
            retention_hours: 24,
        }
    }
}

impl Settings {
    /// Loads the layers; `file` is an optional TOML file.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "config file {} does not exist",
                path.display()
            );
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(Env::prefixed("HEARKEN_").ignore(&[
            "DATABASE_URL_FILE",
            "SECRET_KEY_FILE",
            "AUDIT_KEY_FILE",
            "CONFIG",
        ]));
        let mut settings: Settings = fig.extract().context("reading configuration")?;
        if let Ok(path) = std::env::var("HEARKEN_DATABASE_URL_FILE") {
            let url = std::fs::read_to_string(&path)
                .with_context(|| format!("reading HEARKEN_DATABASE_URL_FILE {path}"))?;
            settings.database_url = Some(SecretString::from(url.trim().to_owned()));
        }
        if let Ok(path) = std::env::var("HEARKEN_SECRET_KEY_FILE") {
            let key = std::fs::read_to_string(&path)
                .with_context(|| format!("reading HEARKEN_SECRET_KEY_FILE {path}"))?;
            settings.secret_key = Some(SecretString::from(key.trim().to_owned()));
        }
        if let Ok(path) = std::env::var("HEARKEN_AUDIT_KEY_FILE") {
            let key = std::fs::read_to_string(&path)
                .with_context(|| format!("reading HEARKEN_AUDIT_KEY_FILE {path}"))?;
            settings.audit_key = Some(SecretString::from(key.trim().to_owned()));
        }
        Ok(settings)
    }

    /// The audit checkpoint key, when one is configured.
    pub fn audit_key(&self) -> Option<crate::audit::checkpoint::AuditKey> {
        self.audit_key
            .as_ref()
            .and_then(|k| crate::audit::checkpoint::AuditKey::new(k.expose_secret()))
    }

    /// The database URL in force, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("hearken.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_sqlite_in_the_data_dir() {
        let s = Settings::default();
        assert_eq!(s.database_url(), "sqlite://data/hearken.db");
    }

    #[test]
    fn debug_output_never_shows_the_database_url() {
        let s = Settings {
            database_url: Some(SecretString::from("postgres://u:hunter2@h/db".to_owned())),
            ..Settings::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
        let s = Settings {
            secret_key: Some(SecretString::from("k3y-material".to_owned())),
            ..Settings::default()
        };
        assert!(!format!("{s:?}").contains("k3y-material"));
    }
}
