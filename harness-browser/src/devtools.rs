//! The browser-wide DevTools WebSocket of the run's shared Chrome: the one place that can create
//! an isolated browser context (chromedriver refuses `Target.createBrowserContext`). WebDriver
//! BiDi frames its commands and answers the same way (`id`, `method`, `params`; `result` or
//! `error`), so a Firefox session's BiDi socket is spoken to through it too (the steps'
//! screenshots).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::error::BrowserError;

const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// A DevTools connection. Contexts created with `disposeOnDetach` live as long as it does, so a
/// test process that dies (even by SIGKILL) takes its context and tab with it.
pub(crate) struct DevTools {
    endpoint: String,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl std::fmt::Debug for DevTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevTools")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// A browser context of its own (cookies, storage, cache) with one tab in it.
#[derive(Debug, Clone)]
pub(crate) struct IsolatedTab {
    pub(crate) context_id: String,
    pub(crate) target_id: String,
}

impl DevTools {
    pub(crate) async fn connect(endpoint: &str) -> Result<DevTools, BrowserError> {
        let (socket, _) =
            tokio::time::timeout(ANSWER_TIMEOUT, tokio_tungstenite::connect_async(endpoint))
                .await
                .map_err(|_| format!("no connection within {ANSWER_TIMEOUT:?}"))
                .and_then(|connected| connected.map_err(|e| e.to_string()))
                .map_err(|reason| BrowserError::DevTools {
                    endpoint: endpoint.to_owned(),
                    what: "connect".into(),
                    reason,
                })?;
        Ok(DevTools {
            endpoint: endpoint.to_owned(),
            socket,
            next_id: 0,
        })
    }

    /// Send one command and wait for its answer, skipping events.
    pub(crate) async fn call(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<Value, BrowserError> {
        self.call_in(None, method, params).await
    }

    /// [`call`](Self::call) in a target's session (from `Target.attachToTarget` with `flatten`),
    /// or the browser's.
    pub(crate) async fn call_in(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, BrowserError> {
        self.next_id += 1;
        let id = self.next_id;
        let fail = |reason: String| BrowserError::DevTools {
            endpoint: self.endpoint.clone(),
            what: method.to_owned(),
            reason,
        };
        let mut request = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            request["sessionId"] = json!(session);
        }
        let request = request.to_string();
        self.socket
            .send(Message::text(request))
            .await
            .map_err(|e| fail(e.to_string()))?;
        let answer = tokio::time::timeout(ANSWER_TIMEOUT, async {
            while let Some(message) = self.socket.next().await {
                let message = message.map_err(|e| e.to_string())?;
                let Ok(text) = message.to_text() else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    continue;
                };
                if value["id"].as_u64() == Some(id) {
                    return Ok(value);
                }
            }
            Err("the connection closed".to_owned())
        })
        .await
        .map_err(|_| format!("no answer within {ANSWER_TIMEOUT:?}"))
        .and_then(|answer| answer)
        .map_err(fail)?;
        if let Some(error) = answer.get("error") {
            return Err(BrowserError::DevTools {
                endpoint: self.endpoint.clone(),
                what: method.to_owned(),
                reason: error.to_string(),
            });
        }
        Ok(answer["result"].clone())
    }

    /// A new context with one blank tab of the given size.
    pub(crate) async fn isolated_tab(
        &mut self,
        (width, height): (u32, u32),
    ) -> Result<IsolatedTab, BrowserError> {
        let created = self
            .call(
                "Target.createBrowserContext",
                json!({"disposeOnDetach": true}),
            )
            .await?;
        let context_id = created["browserContextId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let target = self
            .call(
                "Target.createTarget",
                json!({
                    "url": "about:blank",
                    "browserContextId": context_id,
                    "newWindow": true,
                    "width": width,
                    "height": height,
                }),
            )
            .await?;
        Ok(IsolatedTab {
            context_id,
            target_id: target["targetId"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// Remove a context with its tabs.
    pub(crate) async fn dispose(&mut self, context_id: &str) -> Result<(), BrowserError> {
        self.call(
            "Target.disposeBrowserContext",
            json!({"browserContextId": context_id}),
        )
        .await
        .map(drop)
    }
}
