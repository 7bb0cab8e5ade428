//! What this machine offers the harness, and what to install where something is missing.

use std::fmt;

use crate::config;
use crate::postgres::local;

/// One line of the report.
#[derive(Debug, Clone)]
#[non_exhaustive]
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

impl Check {
    /// A check's line (for the harness's other crates: the fields are public to read).
    #[doc(hidden)]
    pub fn new(what: &str, ok: bool, detail: &str, fix: Option<String>) -> Check {
        Check {
            what: what.into(),
            ok,
            detail: detail.into(),
            fix,
        }
    }
}

/// The machine's report: every check, and what `auto` would choose.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The backend `HARNESS_POSTGRES=auto` would choose, if any.
    pub auto_choice: Option<String>,
    /// Whether browser tests can run (a matching local pair, a reachable remote WebDriver, or an
    /// explicit `HARNESS_BROWSER=skip`).
    pub browser_ready: bool,
}

impl Report {
    /// Whether a test suite needing Postgres can run here.
    pub fn postgres_ready(&self) -> bool {
        self.auto_choice.is_some()
    }

    /// Whether a suite with database and browser tests can run here.
    pub fn suite_ready(&self) -> bool {
        self.postgres_ready() && self.browser_ready
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
            Some(choice) => writeln!(f, "\nHARNESS_POSTGRES=auto would use: {choice}")?,
            None => writeln!(
                f,
                "\nno Postgres backend is usable: tests that need a database cannot run"
            )?,
        }
        if !self.browser_ready {
            writeln!(
                f,
                "no browser is usable: browser tests will fail (or leave them out by name: \
                 cargo nextest run -E 'not test(/(^|::)(e2e|browser)::/)')"
            )?;
        }
        Ok(())
    }
}

/// Look at the machine (nothing is started). The browser is reported as not built in: the
/// harness's `examine` (with its `browser` feature) checks it.
pub fn examine() -> Report {
    examine_with(|checks| {
        checks.push(Check::new(
            "browser",
            true,
            "not built in (the harness's `browser` feature is off)",
            None,
        ));
        true
    })
}

/// Look at the machine, the browser by `browser` (which says whether browser tests can run).
#[doc(hidden)]
pub fn examine_with(browser: impl FnOnce(&mut Vec<Check>) -> bool) -> Report {
    let mut checks = Vec::new();
    // A bad value fails every test: said first, and the rest is read with the defaults.
    checks.push(match config::settings() {
        Ok(_) => Check::new(
            "settings",
            true,
            "every HARNESS_* variable is understood",
            None,
        ),
        Err(bad) => Check::new(
            "settings",
            false,
            &bad.to_string(),
            Some("correct or unset the variables named (see the harness README's table)".into()),
        ),
    });
    let external = config::current().postgres_url.clone();
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
    let (engine_ok, image) = examine_docker(&mut checks);
    let auto_choice = if let Some(url) = external {
        Some(format!("external ({})", crate::redact(&url)))
    } else if let Ok(found) = &binaries {
        Some(format!(
            "local (postgres {} in {})",
            found.version,
            found.dir.display()
        ))
    } else if engine_ok {
        Some(format!("docker ({image})"))
    } else {
        None
    };
    let browser_ready = browser(&mut checks);
    Report {
        checks,
        auto_choice,
        browser_ready,
    }
}

/// A runtime for the doctor's few async checks (it is called from a plain `main`).
#[doc(hidden)]
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
        .map(|rt| rt.block_on(future))
}

/// The engine and the backend's image; whether the engine answers, and the image's name.
#[cfg(feature = "docker")]
fn examine_docker(checks: &mut Vec<Check>) -> (bool, String) {
    let image = config::postgres_image();
    let engine = block_on(crate::container::ping()).unwrap_or_else(|| {
        Err(crate::container::ContainerError::Unreachable {
            endpoint: crate::docker_engine::endpoint().to_string(),
            source: "no async runtime could be made".into(),
        })
    });
    checks.push(Check {
        what: "docker engine".into(),
        ok: engine.is_ok(),
        detail: match &engine {
            Ok(()) => format!("answers at {}", crate::docker_engine::endpoint()),
            Err(e) => crate::error_chain(e),
        },
        fix: Some("start Docker (or Docker Desktop), or rely on local Postgres binaries".into()),
    });
    if engine.is_ok() {
        let present = block_on(crate::container::image_exists(&image))
            .and_then(Result::ok)
            .unwrap_or(false);
        checks.push(Check {
            what: "docker image".into(),
            ok: present,
            detail: if present {
                format!("{image} is present")
            } else {
                format!("{image} is not present (it is pulled on first use where a registry is reachable)")
            },
            fix: Some(crate::postgres::image_hint()),
        });
    }
    (engine.is_ok(), image)
}

#[cfg(not(feature = "docker"))]
fn examine_docker(checks: &mut Vec<Check>) -> (bool, String) {
    checks.push(Check {
        what: "docker engine".into(),
        ok: false,
        detail: "not built in (the harness's `docker` feature is off)".into(),
        fix: None,
    });
    (false, config::postgres_image())
}
