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
    let browser_ready = examine_browser(&mut checks);
    Report {
        checks,
        auto_choice,
        browser_ready,
    }
}

/// A runtime for the doctor's few async checks (it is called from a plain `main`).
#[cfg(any(feature = "docker", feature = "browser"))]
fn block_on<T>(future: impl std::future::Future<Output = T>) -> Option<T> {
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

/// The first line a program prints for `--version`.
#[cfg(feature = "browser")]
fn version_of(program: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
}

#[cfg(not(feature = "browser"))]
fn examine_browser(checks: &mut Vec<Check>) -> bool {
    checks.push(Check {
        what: "browser".into(),
        ok: true,
        detail: "not built in (the harness's `browser` feature is off)".into(),
        fix: None,
    });
    true
}

#[cfg(feature = "browser")]
fn examine_browser(checks: &mut Vec<Check>) -> bool {
    if config::var(config::BROWSER).is_some_and(|v| v.eq_ignore_ascii_case("skip")) {
        checks.push(Check {
            what: "browser".into(),
            ok: true,
            detail: format!(
                "{}=skip: browser tests fail at once; a run without a browser leaves them out by \
                 name (the harness README's \"Skipping browser tests\")",
                config::BROWSER
            ),
            fix: None,
        });
        return true;
    }
    if let Some(url) = config::var(config::WEBDRIVER_URL) {
        let status = format!("{}/status", url.trim_end_matches('/'));
        let probe = crate::Probe::Http(status.clone());
        let reached = block_on(probe.wait(std::time::Duration::from_secs(3)))
            .ok_or_else(|| "no async runtime could be made".to_owned())
            .and_then(|reached| reached.map_err(|e| crate::error_chain(&e)));
        checks.push(Check {
            what: "remote webdriver".into(),
            ok: reached.is_ok(),
            detail: match &reached {
                Ok(()) => format!("{status} answers"),
                Err(e) => e.clone(),
            },
            fix: Some(format!(
                "start the WebDriver server, or unset {}",
                config::WEBDRIVER_URL
            )),
        });
        return reached.is_ok();
    }
    let firefox_wanted =
        config::var(config::BROWSER).is_some_and(|v| v.eq_ignore_ascii_case("firefox"));
    let firefox_ready = examine_firefox(checks, firefox_wanted);
    if firefox_wanted {
        return firefox_ready;
    }
    let driver = crate::browser::locate::chromedriver();
    let chrome = crate::browser::locate::chrome();
    let driver_version = driver.as_ref().ok().and_then(|p| version_of(p));
    let chrome_version = chrome.as_ref().ok().and_then(|p| version_of(p));
    for (what, found, version) in [
        ("chromedriver", &driver, &driver_version),
        ("chrome", &chrome, &chrome_version),
    ] {
        checks.push(match found {
            Ok(path) => found_check(what, path, version.as_deref()),
            Err(e) => Check {
                what: what.into(),
                ok: false,
                detail: e.to_string(),
                fix: Some(hint_of(e)),
            },
        });
    }
    let (Some(d), Some(c)) = (driver_version, chrome_version) else {
        return driver.is_ok() && chrome.is_ok();
    };
    let matched = crate::browser::locate::check_versions(&d, &c);
    checks.push(Check {
        what: "chromedriver matches chrome".into(),
        ok: matched.is_ok(),
        detail: match &matched {
            Ok(()) => "same major version".into(),
            Err(e) => e.to_string(),
        },
        fix: Some("install a chromedriver of the browser's major version".into()),
    });
    matched.is_ok()
}

/// geckodriver and Firefox: needed with `HARNESS_BROWSER=firefox`, listed either way (a missing
/// one is only a note when the run drives Chrome).
#[cfg(feature = "browser")]
fn examine_firefox(checks: &mut Vec<Check>, wanted: bool) -> bool {
    let found = [
        ("geckodriver", crate::browser::locate::geckodriver()),
        ("firefox", crate::browser::locate::firefox()),
    ];
    let mut ready = true;
    for (what, found) in found {
        checks.push(match found {
            Ok(path) => found_check(what, &path, version_of(&path).as_deref()),
            Err(e) if wanted => {
                ready = false;
                Check {
                    what: what.into(),
                    ok: false,
                    detail: e.to_string(),
                    fix: Some(hint_of(&e)),
                }
            }
            Err(e) => Check {
                what: what.into(),
                ok: true,
                detail: format!(
                    "not found, needed for {}=firefox only: {e}",
                    config::BROWSER
                ),
                fix: None,
            },
        });
    }
    ready
}

/// A program that was found, with its version.
#[cfg(feature = "browser")]
fn found_check(what: &str, path: &std::path::Path, version: Option<&str>) -> Check {
    Check {
        what: what.into(),
        ok: true,
        detail: format!(
            "{} ({})",
            version.unwrap_or("version unknown"),
            path.display()
        ),
        fix: None,
    }
}

/// The hint at the end of an error's text, alone.
#[cfg(feature = "browser")]
fn hint_of(error: &crate::browser::BrowserError) -> String {
    let text = error.to_string();
    text.rsplit_once("(hint: ")
        .map(|(_, hint)| hint.trim_end_matches(')').to_owned())
        .unwrap_or(text)
}
