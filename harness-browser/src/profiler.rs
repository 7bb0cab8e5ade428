//! Collecting a Chrome page's JavaScript coverage (`HARNESS_JS_COVERAGE`) over a DevTools
//! session of the test's tab: precise coverage is started before the first navigation, and taken
//! (counts since the last take) before every navigation the test makes and when the session ends,
//! each take written as one raw file that `harness js-coverage` merges.
//!
//! The DevTools connection lives on a thread and runtime of its own: the last take happens when
//! the test's runtime may be gone already (a `#[harness::test]` ends its browser after the body's
//! runtime is shut down), and a connection registered with that runtime could not be used then.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::devtools::DevTools;
use super::error::BrowserError;
use harness_js_coverage::{self as coverage, ScriptCoverage};

/// How long a take may hold up the step that asked for it.
const TAKE_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) struct Profiler {
    requests: mpsc::UnboundedSender<oneshot::Sender<Result<usize, String>>>,
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Profiler")
    }
}

impl Profiler {
    /// Connect to the tab's DevTools endpoint and start precise coverage, if the run asks for it.
    pub(crate) async fn start_if_asked(
        debugger_address: &str,
        target_id: &str,
    ) -> Result<Option<Profiler>, BrowserError> {
        let Some(dir) = coverage::raw_dir() else {
            return Ok(None);
        };
        let endpoint = format!("ws://{debugger_address}/devtools/page/{target_id}");
        let (requests, mut incoming) =
            mpsc::unbounded_channel::<oneshot::Sender<Result<usize, String>>>();
        let (started_tx, started_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("harness-js-coverage".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = started_tx.send(Err(BrowserError::DevTools {
                            endpoint,
                            what: "start a runtime for coverage".into(),
                            reason: e.to_string(),
                        }));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let mut devtools = match start(&endpoint).await {
                        Ok(devtools) => {
                            let _ = started_tx.send(Ok(()));
                            devtools
                        }
                        Err(e) => {
                            let _ = started_tx.send(Err(e));
                            return;
                        }
                    };
                    // Ends when the `Profiler` is dropped (its sender with it).
                    while let Some(reply) = incoming.recv().await {
                        let _ = reply.send(take(&mut devtools, &dir).await);
                    }
                });
            });
        if let Err(e) = thread {
            return Err(BrowserError::DevTools {
                endpoint: debugger_address.to_owned(),
                what: "start the coverage thread".into(),
                reason: e.to_string(),
            });
        }
        match started_rx.await {
            Ok(Ok(())) => Ok(Some(Profiler { requests })),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(BrowserError::DevTools {
                endpoint: debugger_address.to_owned(),
                what: "start precise coverage".into(),
                reason: "the coverage thread ended".into(),
            }),
        }
    }

    /// Take the coverage since the last take and write it; a failure is said, never fatal: the
    /// test itself is not about coverage.
    pub(crate) async fn take(&self) {
        let (reply, answer) = oneshot::channel();
        if self.requests.send(reply).is_err() {
            eprintln!("harness: JS coverage not taken: its DevTools connection is gone");
            return;
        }
        match tokio::time::timeout(TAKE_TIMEOUT, answer).await {
            Ok(Ok(Ok(_))) => {}
            Ok(Ok(Err(why))) => eprintln!("harness: JS coverage not taken: {why}"),
            Ok(Err(_)) => {
                eprintln!("harness: JS coverage not taken: its DevTools connection is gone")
            }
            Err(_) => eprintln!("harness: JS coverage not taken within {TAKE_TIMEOUT:?}"),
        }
    }
}

async fn start(endpoint: &str) -> Result<DevTools, BrowserError> {
    let mut devtools = DevTools::connect(endpoint).await?;
    devtools.call("Profiler.enable", json!({})).await?;
    // Debugger: for the scripts' sources, which the offsets index.
    devtools.call("Debugger.enable", json!({})).await?;
    // An attached debugger stops at a page's `debugger;` statements: never under a test.
    devtools
        .call("Debugger.setSkipAllPauses", json!({"skip": true}))
        .await?;
    devtools
        .call(
            "Profiler.startPreciseCoverage",
            json!({"callCount": true, "detailed": true}),
        )
        .await?;
    Ok(devtools)
}

/// One take: the page's own scripts with their sources, written as one raw file. Returns how many
/// scripts it held.
async fn take(devtools: &mut DevTools, dir: &std::path::Path) -> Result<usize, String> {
    let taken = devtools
        .call("Profiler.takePreciseCoverage", json!({}))
        .await
        .map_err(|e| e.to_string())?;
    let entries = taken["result"].as_array().cloned().unwrap_or_default();
    let mut scripts = Vec::new();
    for entry in entries {
        let url = entry["url"].as_str().unwrap_or_default();
        if coverage::key_of(url).is_none() {
            continue;
        }
        let script_id = entry["scriptId"].clone();
        let Ok(mut script) = serde_json::from_value::<ScriptCoverage>(entry) else {
            continue;
        };
        let source = devtools
            .call("Debugger.getScriptSource", json!({"scriptId": script_id}))
            .await
            .map_err(|e| e.to_string())?;
        script.source = source["scriptSource"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        scripts.push(script);
    }
    if scripts.is_empty() {
        return Ok(0);
    }
    let written: Result<PathBuf, _> = coverage::record(dir, &scripts);
    written
        .map(|_| scripts.len())
        .map_err(|e| format!("cannot write into {}: {e}", dir.display()))
}
