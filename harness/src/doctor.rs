//! What this machine offers the harness, and what to install where something is missing.

use std::fmt;

use crate::postgres::local;
use crate::{config, docker_engine};

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Whether it is usable.
    pub ok: bool,
    /// What was found, or why not.
    pub detail: String,
    /// How to fix it, where it is missing.
    pub fix: Option<String>,
}

/// The machine's report: every check, and what `auto` would choose.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The backend `HARNESS_POSTGRES=auto` would choose, if any.
    pub auto_choice: Option<String>,
}

impl Report {
    /// Whether a test suite needing Postgres can run here.
    pub fn postgres_ready(&self) -> bool {
        self.auto_choice.is_some()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            let mark = match (check.ok, &check.fix) {
                (true, _) => "ok     ",
                // Nothing to fix: an optional piece that is simply not configured.
                (false, None) => "-      ",
                (false, Some(_)) => "MISSING",
            };
            writeln!(f, "{mark} {:<28} {}", check.what, check.detail)?;
            if let (false, Some(fix)) = (check.ok, &check.fix) {
                writeln!(f, "        {:<28} fix: {fix}", "")?;
            }
        }
        match &self.auto_choice {
            Some(choice) => writeln!(f, "\nHARNESS_POSTGRES=auto would use: {choice}"),
            None => writeln!(
                f,
                "\nno Postgres backend is usable: tests that need a database cannot run"
            ),
        }
    }
}

/// Look at the machine (nothing is started).
pub fn examine() -> Report {
    let mut checks = Vec::new();
    let external = config::var(config::POSTGRES_URL);
    checks.push(Check {
        what: "external server".into(),
        ok: external.is_some(),
        detail: match &external {
            Some(url) => format!("{} = {}", config::POSTGRES_URL, crate::redact(url)),
            None => format!("{} not set (optional)", config::POSTGRES_URL),
        },
        fix: None,
    });
    let binaries = local::find_binaries();
    checks.push(match &binaries {
        Ok(found) => Check {
            what: "postgres binaries".into(),
            ok: true,
            detail: format!("postgres {} in {}", found.version, found.dir.display()),
            fix: None,
        },
        Err(e) => Check {
            what: "postgres binaries".into(),
            ok: false,
            detail: e.to_string(),
            fix: Some(local::install_hint().into()),
        },
    });
    let engine = docker_engine::ping();
    checks.push(Check {
        what: "docker engine".into(),
        ok: engine.is_ok(),
        detail: match &engine {
            Ok(()) => format!("answers at {}", docker_engine::endpoint()),
            Err(e) => e.clone(),
        },
        fix: Some("start Docker (or Docker Desktop), or rely on local Postgres binaries".into()),
    });
    let image = config::postgres_image();
    let image_present = engine.is_ok() && docker_engine::image_exists(&image).unwrap_or(false);
    if engine.is_ok() {
        checks.push(Check {
            what: "docker image".into(),
            ok: image_present,
            detail: if image_present {
                format!("{image} is present")
            } else {
                format!("{image} is not present (it is pulled on first use where a registry is reachable)")
            },
            fix: Some(crate::postgres::image_hint()),
        });
    }
    let auto_choice = if let Some(url) = external {
        Some(format!("external ({})", crate::redact(&url)))
    } else if let Ok(found) = &binaries {
        Some(format!(
            "local (postgres {} in {})",
            found.version,
            found.dir.display()
        ))
    } else if engine.is_ok() {
        Some(format!("docker ({image})"))
    } else {
        None
    };
    Report {
        checks,
        auto_choice,
    }
}
