//! What a test does with the page: navigate, act on elements found by [`Locator`]s, read them,
//! and prepare state (cookies, local storage). Every action waits for its element first, and is
//! recorded as a step of the test's report.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::elements::{Element, ElementRef};
use fantoccini::key::Key;
use serde_json::{Value, json};

use super::error::ActionError;
use super::locator::{Locator, RESOLVER};
use super::session::Browser;
use super::wait::{ElementState, Expect, PageExpect};

/// A cookie of the page, as WebDriver reads and sets it (the `cookie` crate's type).
pub type Cookie = fantoccini::cookies::Cookie<'static>;

/// The key WebDriver's W3C element reference is keyed by in a script's result.
pub(crate) const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Focus an element for keys, as WebDriver's Element Send Keys does: if it does not have the
/// focus, focused with the caret at the end of its text; whether it has it (else the caller falls
/// back to WebDriver, which says why).
const FOCUS_FOR_KEYS: &str = "if (document.activeElement !== el) { el.focus(); \
     try { const n = (el.value || '').length; el.setSelectionRange(n, n); } catch (e) {} } \
     return document.activeElement === el;";

/// An expression that scrolls `el` to the middle of the viewport unless all of it is in view
/// already, as WebDriver's click does and its pointer actions do not (they refuse a point out of
/// view); whether it scrolled.
macro_rules! scroll_into_view {
    () => {
        "((el) => { const r = el.getBoundingClientRect(); \
         if (r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth) return false; \
         el.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'}); return true; })(el)"
    };
}

/// [`scroll_into_view!`] alone: what WebDriver's pointer actions on an element need first.
const SCROLL_INTO_VIEW: &str = concat!(scroll_into_view!(), ";");

/// Where a mouse clicks the one match of the locator `arguments[0]`, as WebDriver's Element
/// Click finds it: the centre of its first box, scrolled into view if it is not in it, and the
/// element (or one inside it, shadow trees included) the one a click there hits. Read at the
/// page's next frame, so that what the page has queued (a `hashchange` the last click caused, and
/// the render it starts) has moved things first, and after a scroll at the frame after, so that
/// the page's input sees the scroll as the script did (a click sent right after its scroll was
/// seen to miss). `null` for WebDriver to click instead: no single match, an `<option>`
/// (selected, not clicked), no box, or another element on top (WebDriver's error says which).
const CLICK_POINT: &str = concat!(
    "const frame = () => new Promise((done) => { let over = false; \
       const once = () => { if (!over) { over = true; done(); } }; \
       requestAnimationFrame(once); setTimeout(once, 100); }); \
     const at = (el) => { \
       const r = [...el.getClientRects()].find((r) => r.width > 0 && r.height > 0); \
       if (!r) return null; \
       const x = Math.max(0, Math.min(innerWidth - 1, r.left + r.width / 2)); \
       const y = Math.max(0, Math.min(innerHeight - 1, r.top + r.height / 2)); \
       let hit = document.elementFromPoint(x, y); \
       while (hit && hit.shadowRoot) { const inner = hit.shadowRoot.elementFromPoint(x, y); \
         if (!inner || inner === hit) break; hit = inner; } \
       for (let n = hit; n; n = n.parentNode || n.host) if (n === el) return {x, y}; \
       return null; }; \
     const locator = arguments[0]; \
     return frame().then(() => { const all = harnessResolve(locator); \
       if (all.length !== 1) return null; const el = all[0]; \
       if (el.closest('select, option')) return null; \
       return ",
    scroll_into_view!(),
    " ? frame().then(() => at(el)) : at(el); });"
);

/// An HTML5 drag of `el` onto the first match of the locator `args[0]`, fired from the page as a
/// browser fires one: the drop only where `dragover` was cancelled, as the drop zone's way of
/// accepting it.
const HTML5_DRAG: &str = "const target = harnessResolve(args[0])[0]; if (!target) return 'no target'; \
    const data = new DataTransfer(); \
    const fire = (at, type) => { const r = at.getBoundingClientRect(); \
      return at.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, composed: true, \
        dataTransfer: data, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2})); }; \
    if (!fire(el, 'dragstart')) return 'cancelled'; \
    fire(el, 'drag'); fire(target, 'dragenter'); \
    const accepted = !fire(target, 'dragover'); \
    fire(target, accepted ? 'drop' : 'dragleave'); fire(el, 'dragend'); \
    return accepted ? 'dropped' : 'refused';";

impl Browser {
    /// Auto-waiting assertions on the elements `locator` matches (a `&str` is a CSS selector).
    pub fn expect(&self, locator: impl Into<Locator>) -> Expect<'_> {
        Expect::new(self, locator.into(), self.default_timeout())
    }

    /// Auto-waiting assertions on the page: its URL, its title.
    pub fn expect_page(&self) -> PageExpect<'_> {
        PageExpect::new(self, self.default_timeout())
    }

    /// How long this browser's assertions and actions wait for their element: set for every
    /// assertion and action that follows (see [`super::DEFAULT_TIMEOUT`]).
    pub fn set_default_timeout(&self, timeout: Duration) {
        *self
            .default_timeout
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = timeout;
    }

    /// See [`Browser::set_default_timeout`].
    pub fn default_timeout(&self) -> Duration {
        *self
            .default_timeout
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Navigate and wait for the page's load event.
    pub async fn goto(&self, url: &str) -> Result<(), ActionError> {
        self.action_step(format!("goto {url}"), async {
            self.collect_coverage().await;
            self.client()
                .goto(url)
                .await
                .map_err(command(format!("open {url}")))
        })
        .await
    }

    /// Go back one page in the history, as the browser's back button (Playwright's `goBack`).
    pub async fn go_back(&self) -> Result<(), ActionError> {
        self.action_step("go back".into(), async {
            self.collect_coverage().await;
            self.client()
                .back()
                .await
                .map_err(command("go back".into()))
        })
        .await
    }

    /// Go forward one page in the history (Playwright's `goForward`).
    pub async fn go_forward(&self) -> Result<(), ActionError> {
        self.action_step("go forward".into(), async {
            self.collect_coverage().await;
            self.client()
                .forward()
                .await
                .map_err(command("go forward".into()))
        })
        .await
    }

    /// Reload the page and wait for its load event.
    pub async fn reload(&self) -> Result<(), ActionError> {
        self.action_step("reload".into(), async {
            self.collect_coverage().await;
            self.client()
                .refresh()
                .await
                .map_err(command("reload the page".into()))
        })
        .await
    }

    /// The current page's URL, now. To wait for a navigation a click started, use
    /// `expect_page().to_have_url(..)`: reading it right after the click races the navigation.
    pub async fn url(&self) -> Result<String, ActionError> {
        self.client()
            .current_url()
            .await
            .map(String::from)
            .map_err(command("read the page's URL".into()))
    }

    /// The current page's title.
    pub async fn title(&self) -> Result<String, ActionError> {
        self.client()
            .title()
            .await
            .map_err(command("read the page's title".into()))
    }

    /// The first element `locator` matches, now, as a WebDriver element (for what this API
    /// lacks); `None` if nothing matches.
    pub async fn element(
        &self,
        locator: impl Into<Locator>,
    ) -> Result<Option<Element>, ActionError> {
        let locator = locator.into();
        self.resolve(&locator).await
    }

    async fn resolve(&self, locator: &Locator) -> Result<Option<Element>, ActionError> {
        let script = format!("{RESOLVER}\nreturn harnessResolve(arguments[0])[0] || null;");
        let found = self
            .client()
            .execute(&script, vec![json!(locator)])
            .await
            .map_err(command(format!("find {locator}")))?;
        Ok(found.get(ELEMENT_KEY).and_then(Value::as_str).map(|id| {
            Element::from_element_id(self.client().clone(), ElementRef::from(id.to_owned()))
        }))
    }

    /// Wait until `locator` is visible, refuse it if it matches several elements, then find it:
    /// what a screenshot of an element needs.
    pub(crate) async fn visible_one(
        &self,
        locator: &Locator,
        within: Duration,
    ) -> Result<Element, ActionError> {
        let state = self
            .expect(locator)
            .within(within)
            .for_element()
            .until_visible()
            .await?;
        self.the_one(locator, state).await
    }

    /// Wait until `locator` is visible and enabled, then find it: the element the wait's own
    /// read returned (no second round trip), else found again.
    async fn actionable(&self, locator: &Locator) -> Result<Element, ActionError> {
        let state = self
            .expect(locator)
            .for_element()
            .until_actionable()
            .await?;
        self.the_one(locator, state).await
    }

    /// The one element a wait's read saw (strict: several are refused), by the reference that
    /// read returned, else found again.
    async fn the_one(
        &self,
        locator: &Locator,
        mut state: ElementState,
    ) -> Result<Element, ActionError> {
        let element = state.element.take();
        one(locator, state)?;
        match element {
            Some(id) => Ok(Element::from_element_id(
                self.client().clone(),
                ElementRef::from(id),
            )),
            None => self.found(locator).await,
        }
    }

    /// Wait until `locator` is visible and enabled, and refuse it if it matches several elements
    /// (strict, as Playwright's actions are).
    async fn actionable_state(&self, locator: &Locator) -> Result<(), ActionError> {
        let state = self.expect(locator).until_actionable().await?;
        one(locator, state)
    }

    /// Wait until `locator` matches anything, then find it.
    async fn attached(&self, locator: &Locator) -> Result<Element, ActionError> {
        self.expect(locator).until_attached().await?;
        self.found(locator).await
    }

    async fn found(&self, locator: &Locator) -> Result<Element, ActionError> {
        // It matched a moment ago; a page that re-rendered in between gets one more look.
        for _ in 0..2 {
            if let Some(element) = self.resolve(locator).await? {
                return Ok(element);
            }
        }
        Err(ActionError::Detached {
            locator: locator.to_string(),
        })
    }

    /// Wait until `locator` is actionable (strict: one match), and run `body` on it in the wait's
    /// own read (`el` and `args` in scope): its value. One round trip where a wait and then
    /// [`on_element`](Self::on_element) take two.
    async fn prepared(
        &self,
        locator: &Locator,
        action: String,
        body: &'static str,
        args: Vec<Value>,
    ) -> Result<Value, ActionError> {
        let mut state = self
            .expect(locator)
            .until_actionable_preparing(body, args.clone())
            .await?;
        let prepared = state.prepared.take();
        one(locator, state)?;
        match prepared {
            Some(value) => Ok(value),
            // Read as actionable, yet not prepared: a page changing between the two checks.
            None => self.on_element(locator, action, body, args).await,
        }
    }

    /// Run a script on the first match of `locator` (`arguments[0]` in `body` is the element,
    /// `arguments[1..]` are `args`).
    async fn on_element(
        &self,
        locator: &Locator,
        action: String,
        body: &str,
        args: Vec<Value>,
    ) -> Result<Value, ActionError> {
        let script = format!(
            "{RESOLVER}\nconst el = harnessResolve(arguments[0])[0]; if (!el) return {{detached: true}}; \
             return {{value: ((el, args) => {{ {body} }})(el, Array.prototype.slice.call(arguments, 1))}};"
        );
        let mut all = vec![json!(locator)];
        all.extend(args);
        let answer = self.script(&script, all).await.map_err(command(action))?;
        if answer["detached"].as_bool() == Some(true) {
            return Err(ActionError::Detached {
                locator: locator.to_string(),
            });
        }
        Ok(answer["value"].clone())
    }

    /// Click the first match once it is visible and enabled.
    pub async fn click(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        let locator = locator.into();
        self.action_step(format!("click {locator}"), async {
            if self.mouse_clicks(&locator, 1).await? {
                return Ok(());
            }
            self.actionable(&locator)
                .await?
                .click()
                .await
                .map_err(command(format!("click {locator}")))
        })
        .await
    }

    /// Move the mouse over the first match once it is visible (CSS `:hover`, `mouseover`).
    pub async fn hover(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        let locator = locator.into();
        self.action_step(format!("hover {locator}"), async {
            one(&locator, self.expect(&locator).until_visible().await?)?;
            self.bring_into_view(&locator, format!("hover {locator}"))
                .await?;
            let element = self.found(&locator).await?;
            let mouse =
                MouseActions::new("harness-mouse".into()).then(PointerAction::MoveToElement {
                    element,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                });
            self.client()
                .perform_actions(mouse)
                .await
                .map_err(command(format!("hover {locator}")))
        })
        .await
    }

    /// Replace the value of a text field as Playwright's `fill` does: focus it, select what it
    /// holds, and insert `text` as input: one trusted `input` event, Playwright's own way (Chrome's
    /// `Input.insertText`, Firefox's editor through `execCommand`; real key events where neither
    /// can). No `change` is made up: the browser fires it itself when the field is left or Enter
    /// pressed, as for a user. A field that takes no typing (date, color, range) gets its value
    /// set, with `input` and `change`, as Playwright does there.
    pub async fn fill(&self, locator: impl Into<Locator>, text: &str) -> Result<(), ActionError> {
        let locator = locator.into();
        self.action_step(format!("fill {locator} with {:?}", short(text)), async {
            const PREPARE: &str = "const type = (el.type || 'text').toLowerCase(); \
                 const typed = el.isContentEditable || el.tagName === 'TEXTAREA' || \
                   (el.tagName === 'INPUT' && ['text', 'search', 'email', 'url', 'tel', 'password', 'number'].includes(type)); \
                 if (!typed) { el.focus(); el.value = args[0]; \
                   el.dispatchEvent(new Event('input', {bubbles: true})); \
                   el.dispatchEvent(new Event('change', {bubbles: true})); return 'set'; } \
                 el.focus(); \
                 if (el.isContentEditable) { document.getSelection().selectAllChildren(el); } \
                 else if (['email', 'number'].includes(type)) { el.value = ''; } \
                 else { el.select(); } \
                 if (!args[1]) return 'selected'; \
                 const inserted = args[0] === '' ? document.execCommand('delete') \
                   : document.execCommand('insertText', false, args[0]); \
                 return inserted ? 'inserted' : 'selected';";
            // Firefox: the editor's own insertion, in the same read (Playwright's Firefox
            // inserts text as one input too); Chrome's `Input.insertText` comes after.
            let in_page = self.browser_name() == "firefox";
            let how = self
                .prepared(
                    &locator,
                    format!("fill {locator}"),
                    PREPARE,
                    vec![json!(text), json!(in_page)],
                )
                .await?;
            if how != json!("selected") {
                return Ok(());
            }
            if text.is_empty() {
                // Deleting the selection is the input.
                let element = self.found(&locator).await?;
                return element
                    .send_keys(&char::from(Key::Backspace).to_string())
                    .await
                    .map_err(command(format!("fill {locator}")));
            }
            if self.browser_name() == "chrome" && self.insert_text(text).await {
                return Ok(());
            }
            let element = self.found(&locator).await?;
            element
                .send_keys(text)
                .await
                .map_err(command(format!("fill {locator}")))
        })
        .await
    }

    /// Chrome's `Input.insertText` (`devtools_command`): the focused field's selection replaced
    /// by `text` in one trusted `input` event. `false` when neither the tab's socket nor
    /// chromedriver's endpoint is there (a remote WebDriver), for the caller to type instead.
    async fn insert_text(&self, text: &str) -> bool {
        self.devtools_command("Input.insertText", json!({"text": text}))
            .await
    }

    /// On Chrome with the tab's own socket: wait until `locator` is actionable, find where a
    /// click hits it ([`CLICK_POINT`]), and press the left button there `count` times as trusted
    /// input (`Input.dispatchMouseEvent`, as Playwright clicks; the page sees the same events as
    /// from WebDriver's click, in three or five messages where chromedriver's click takes a
    /// dozen). A navigation the click started is waited for as
    /// WebDriver's click waits for it. `false` for the caller to click through WebDriver.
    async fn mouse_clicks(&self, locator: &Locator, count: u8) -> Result<bool, ActionError> {
        if !self.has_devtools_socket() {
            return Ok(false);
        }
        static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        self.actionable_state(locator).await?;
        let point = self
            .script(
                SCRIPT.get_or_init(|| format!("{RESOLVER}\n{CLICK_POINT}")),
                vec![json!(locator)],
            )
            .await
            .map_err(command(format!("click {locator}")))?;
        let (Some(x), Some(y)) = (point["x"].as_f64(), point["y"].as_f64()) else {
            return Ok(false);
        };
        let at = |kind: &str, clicks: u8| {
            let mut event = json!({"type": kind, "x": x, "y": y});
            if clicks > 0 {
                event["button"] = json!("left");
                event["clickCount"] = json!(clicks);
            }
            event
        };
        if !self
            .devtools_command("Input.dispatchMouseEvent", at("mouseMoved", 0))
            .await
        {
            return Ok(false);
        }
        for clicks in 1..=count {
            for kind in ["mousePressed", "mouseReleased"] {
                if !self
                    .devtools_command("Input.dispatchMouseEvent", at(kind, clicks))
                    .await
                {
                    return Err(ActionError::Refused {
                        action: format!("click {locator}"),
                        reason: format!("the browser refused the mouse's {kind}"),
                    });
                }
            }
        }
        // chromedriver waits for a pending navigation before it answers a command (its own
        // click included): one cheap command has it wait for one this click started. Its
        // error is the click's only if the session is gone: a dialog the click opened is for
        // the test's next command to meet, as after WebDriver's click.
        if let Err(e) = self.client().current_url().await
            && super::wait::session_lost(&e).is_some()
        {
            return Err(command(format!("click {locator}"))(e));
        }
        Ok(true)
    }

    /// Scroll the first match into view for WebDriver's pointer actions on it (see
    /// [`SCROLL_INTO_VIEW`]).
    async fn bring_into_view(&self, locator: &Locator, action: String) -> Result<(), ActionError> {
        self.on_element(locator, action, SCROLL_INTO_VIEW, Vec::new())
            .await
            .map(drop)
    }

    /// Double-click the first match once it is visible and enabled, with real mouse input: the
    /// page sees two clicks and a `dblclick`.
    pub async fn dblclick(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        let locator = locator.into();
        self.action_step(format!("double-click {locator}"), async {
            if self.mouse_clicks(&locator, 2).await? {
                return Ok(());
            }
            let element = self.actionable(&locator).await?;
            self.bring_into_view(&locator, format!("double-click {locator}"))
                .await?;
            let mut mouse =
                MouseActions::new("harness-mouse".into()).then(PointerAction::MoveToElement {
                    element,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                });
            for _ in 0..2 {
                mouse = mouse
                    .then(PointerAction::Down {
                        button: fantoccini::actions::MOUSE_BUTTON_LEFT,
                    })
                    .then(PointerAction::Up {
                        button: fantoccini::actions::MOUSE_BUTTON_LEFT,
                    });
            }
            self.client()
                .perform_actions(mouse)
                .await
                .map_err(command(format!("double-click {locator}")))
        })
        .await
    }

    /// Drag the one match of `source` onto the one match of `target`, as Playwright's `dragTo`:
    /// with real mouse input, press on the source's centre, move in steps to the target's centre,
    /// release. Pages that drag on mouse or pointer events see a user's drag, and Chrome turns it
    /// into an HTML5 drag of a `draggable` source (`dragstart`, `dragover`, `drop`, `dragend`).
    /// Firefox's WebDriver does not, so there a `draggable` source is dragged with those events
    /// fired from the page, carrying one `DataTransfer` (untrusted events, which HTML5 drag
    /// handlers accept).
    pub async fn drag_to(
        &self,
        source: impl Into<Locator>,
        target: impl Into<Locator>,
    ) -> Result<(), ActionError> {
        let (source, target) = (source.into(), target.into());
        let action = format!("drag {source} to {target}");
        self.action_step(action.clone(), async {
            let from = self.actionable(&source).await?;
            one(&target, self.expect(&target).until_visible().await?)?;
            if self.browser_name() == "firefox"
                && self
                    .on_element(&source, action.clone(), "return el.draggable;", Vec::new())
                    .await?
                    == json!(true)
            {
                return self
                    .on_element(&source, action.clone(), HTML5_DRAG, vec![json!(target)])
                    .await
                    .map(drop);
            }
            let to = self.found(&target).await?;
            let left = fantoccini::actions::MOUSE_BUTTON_LEFT;
            let mut mouse = MouseActions::new("harness-mouse".into())
                .then(PointerAction::MoveToElement {
                    element: from.clone(),
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::Down { button: left });
            // A few moves on the way, as a hand makes: drag libraries start a drag only past a
            // threshold, and some read where it goes between.
            for (dx, dy) in [(5.0, 5.0), (10.0, 10.0)] {
                mouse = mouse.then(PointerAction::MoveToElement {
                    element: from.clone(),
                    duration: Some(std::time::Duration::from_millis(10)),
                    x: dx,
                    y: dy,
                });
            }
            mouse = mouse
                .then(PointerAction::MoveToElement {
                    element: to.clone(),
                    duration: Some(std::time::Duration::from_millis(50)),
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::MoveToElement {
                    element: to,
                    duration: Some(std::time::Duration::from_millis(10)),
                    x: 1.0,
                    y: 1.0,
                })
                .then(PointerAction::Up { button: left });
            self.client()
                .perform_actions(mouse)
                .await
                .map_err(command(action.clone()))
        })
        .await
    }

    /// Give the element the focus (`focus` and `focusin` fire), as Playwright's `focus`.
    pub async fn focus(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        self.on_one(locator.into(), "focus", "el.focus();", Vec::new())
            .await
    }

    /// Take the focus from the element (`blur` and `focusout` fire), as Playwright's `blur`.
    pub async fn blur(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        self.on_one(locator.into(), "blur", "el.blur();", Vec::new())
            .await
    }

    /// Fire a DOM event of type `kind` (`"click"`, `"input"`, `"blur"`…) at the element, bubbling,
    /// as Playwright's `dispatchEvent`: for a handler that real input does not reach easily.
    pub async fn dispatch_event(
        &self,
        locator: impl Into<Locator>,
        kind: &str,
    ) -> Result<(), ActionError> {
        self.on_one(
            locator.into(),
            &format!("dispatch {kind:?} at"),
            "el.dispatchEvent(new Event(args[0], {bubbles: true, cancelable: true, composed: true}));",
            vec![json!(kind)],
        )
        .await
    }

    /// Scroll the element into view (centred) unless all of it is in view already, as
    /// Playwright's `scrollIntoViewIfNeeded`.
    pub async fn scroll_into_view(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        self.on_one(
            locator.into(),
            "scroll into view",
            SCROLL_INTO_VIEW,
            Vec::new(),
        )
        .await
    }

    /// A step that runs `body` on the one element `locator` matches, once it exists.
    async fn on_one(
        &self,
        locator: Locator,
        what: &str,
        body: &str,
        args: Vec<Value>,
    ) -> Result<(), ActionError> {
        self.action_step(format!("{what} {locator}"), async {
            let state = self.expect(&locator).until_attached_state().await?;
            one(&locator, state)?;
            self.on_element(&locator, format!("{what} {locator}"), body, args)
                .await
                .map(drop)
        })
        .await
    }

    /// Type into the first match key by key (real key events), after what it already holds.
    pub async fn type_text(
        &self,
        locator: impl Into<Locator>,
        text: &str,
    ) -> Result<(), ActionError> {
        let locator = locator.into();
        self.action_step(format!("type {:?} into {locator}", short(text)), async {
            self.actionable(&locator)
                .await?
                .send_keys(text)
                .await
                .map_err(command(format!("type into {locator}")))
        })
        .await
    }

    /// Press a key, or a chord, in the first match: `"Enter"` (which submits a form, as a user's
    /// would), `"Tab"`, `"Escape"`, `"ArrowDown"`, `"Control+a"`, `"Shift+Tab"`, a character.
    /// Key names are Playwright's; an unknown name is an error listing them.
    pub async fn press(&self, locator: impl Into<Locator>, key: &str) -> Result<(), ActionError> {
        let locator = locator.into();
        self.action_step(format!("press {key} in {locator}"), async {
            let keys = chord(key)?;
            // A single key as trusted input over the tab's own socket (Chrome's DevTools, a lent
            // Firefox's BiDi), once the read that finds the element actionable has focused it.
            let chrome = self.browser_name() == "chrome";
            if let Some(event) = KeyEvent::of(key)
                && (chrome || self.has_bidi_socket())
                && self
                    .prepared(
                        &locator,
                        format!("focus {locator}"),
                        FOCUS_FOR_KEYS,
                        Vec::new(),
                    )
                    .await?
                    .as_bool()
                    == Some(true)
                && if chrome {
                    self.dispatch_key(&event).await
                } else {
                    self.bidi_key(&keys).await
                }
            {
                return Ok(());
            }
            self.actionable(&locator)
                .await?
                .send_keys(&keys)
                .await
                .map_err(command(format!("press {key} in {locator}")))
        })
        .await
    }

    /// A key (WebDriver's code of it) pressed and released in the focused element, over the
    /// lent Firefox's WebDriver BiDi socket (`input.performActions`): one message, where
    /// WebDriver's Element Send Keys first checks the element again. `false` if it failed.
    async fn bidi_key(&self, key: &str) -> bool {
        self.bidi_command(
            "input.performActions",
            json!({"actions": [{"type": "key", "id": "harness-keys", "actions": [
                {"type": "keyDown", "value": key},
                {"type": "keyUp", "value": key},
            ]}]}),
        )
        .await
    }

    /// A key pressed and released in the focused element as trusted input, over DevTools
    /// (`Input.dispatchKeyEvent`, as Playwright presses keys): two commands,
    /// where WebDriver's key actions take a dozen. `false` when the endpoint is not there.
    async fn dispatch_key(&self, event: &KeyEvent) -> bool {
        let mut down = json!({
            "type": if event.text.is_empty() { "rawKeyDown" } else { "keyDown" },
            "key": event.key,
            "code": event.code,
            "windowsVirtualKeyCode": event.key_code,
        });
        if !event.text.is_empty() {
            down["text"] = json!(event.text);
            down["unmodifiedText"] = json!(event.text);
        }
        let up = json!({
            "type": "keyUp",
            "key": event.key,
            "code": event.code,
            "windowsVirtualKeyCode": event.key_code,
        });
        self.devtools_command("Input.dispatchKeyEvent", down).await
            && self.devtools_command("Input.dispatchKeyEvent", up).await
    }

    /// Choose the `<option>` of a `<select>` whose value, or else whose visible label, is
    /// `option`; fires `input` and `change`. Returns the value chosen.
    pub async fn select_option(
        &self,
        locator: impl Into<Locator>,
        option: &str,
    ) -> Result<String, ActionError> {
        let locator = locator.into();
        self.action_step(format!("select {option:?} in {locator}"), async {
            self.actionable_state(&locator).await?;
            let chosen = self
                .on_element(
                    &locator,
                    format!("select {option:?} in {locator}"),
                    "if (el.tagName !== 'SELECT') return {error: `not a <select> but a <${el.tagName.toLowerCase()}>`}; \
                     const all = [...el.options]; \
                     const o = all.find((o) => o.value === args[0]) \
                       || all.find((o) => o.label.replace(/\\s+/g, ' ').trim() === args[0]); \
                     if (!o) return {error: 'no option has that value or label; it has ' \
                       + JSON.stringify(all.map((o) => o.label))}; \
                     o.selected = true; \
                     el.dispatchEvent(new Event('input', {bubbles: true})); \
                     el.dispatchEvent(new Event('change', {bubbles: true})); \
                     return {value: o.value};",
                    vec![json!(option)],
                )
                .await?;
            match (chosen["value"].as_str(), chosen["error"].as_str()) {
                (Some(value), _) => Ok(value.to_owned()),
                (None, error) => Err(ActionError::Refused {
                    action: format!("select {option:?} in {locator}"),
                    reason: error.unwrap_or("the page gave no answer").to_owned(),
                }),
            }
        })
        .await
    }

    /// Check a checkbox or radio (by clicking it, as a user would) unless it is checked already;
    /// fails if the click did not check it.
    pub async fn check(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        self.set_checked(locator, true).await
    }

    /// Uncheck a checkbox unless it is unchecked already; fails if the click did not uncheck it.
    pub async fn uncheck(&self, locator: impl Into<Locator>) -> Result<(), ActionError> {
        self.set_checked(locator, false).await
    }

    /// [`Browser::check`] or [`Browser::uncheck`].
    pub async fn set_checked(
        &self,
        locator: impl Into<Locator>,
        checked: bool,
    ) -> Result<(), ActionError> {
        let locator = locator.into();
        let verb = if checked { "check" } else { "uncheck" };
        self.action_step(format!("{verb} {locator}"), async {
            let element = self.actionable(&locator).await?;
            if self.checked_now(&locator).await? != checked {
                element
                    .click()
                    .await
                    .map_err(command(format!("{verb} {locator}")))?;
            }
            if self.checked_now(&locator).await? != checked {
                return Err(ActionError::Refused {
                    action: format!("{verb} {locator}"),
                    reason: "clicking it did not change its state (a radio cannot be unchecked, or a script reverted it)".into(),
                });
            }
            Ok(())
        })
        .await
    }

    async fn checked_now(&self, locator: &Locator) -> Result<bool, ActionError> {
        let checked = self
            .on_element(
                locator,
                format!("read whether {locator} is checked"),
                "return 'checked' in el ? !!el.checked : el.getAttribute('aria-checked') === 'true';",
                Vec::new(),
            )
            .await?;
        Ok(checked.as_bool().unwrap_or(false))
    }

    /// Whether the first match is checked (once something matches).
    pub async fn is_checked(&self, locator: impl Into<Locator>) -> Result<bool, ActionError> {
        let locator = locator.into();
        self.expect(&locator).until_attached().await?;
        self.checked_now(&locator).await
    }

    /// Choose files in an `<input type="file">`: the paths must exist on the machine that runs
    /// the browser (this one, unless `HARNESS_WEBDRIVER_URL` points elsewhere).
    pub async fn set_input_files(
        &self,
        locator: impl Into<Locator>,
        files: &[&Path],
    ) -> Result<(), ActionError> {
        let locator = locator.into();
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        self.action_step(format!("set files {names:?} on {locator}"), async {
            let mut absolute = Vec::new();
            for file in files {
                let path = std::path::absolute(file).map_err(|source| ActionError::Io {
                    path: file.to_path_buf(),
                    source,
                })?;
                if !path.is_file() {
                    return Err(ActionError::Io {
                        path,
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "no such file to upload",
                        ),
                    });
                }
                absolute.push(path.display().to_string());
            }
            // File inputs are often hidden behind a styled button: present is enough.
            let element = self.attached(&locator).await?;
            element
                .send_keys(&absolute.join("\n"))
                .await
                .map_err(command(format!("set the files of {locator}")))
        })
        .await
    }

    /// The visible text of the first match, once it is visible.
    pub async fn text(&self, locator: impl Into<Locator>) -> Result<String, ActionError> {
        let locator = locator.into();
        // The wait's own snapshot read it (`innerText`, as Playwright's `innerText`): no second
        // round trip, and none of WebDriver's slower text atom.
        Ok(self.expect(&locator).until_visible().await?.text)
    }

    /// An attribute of the first match (once something matches); `None` if it has none.
    pub async fn attribute(
        &self,
        locator: impl Into<Locator>,
        name: &str,
    ) -> Result<Option<String>, ActionError> {
        let locator = locator.into();
        self.expect(&locator).until_attached().await?;
        let value = self
            .on_element(
                &locator,
                format!("read the attribute {name} of {locator}"),
                "return el.getAttribute(args[0]);",
                vec![json!(name)],
            )
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// The current value of a form control (input, textarea, select), once something matches.
    pub async fn value(&self, locator: impl Into<Locator>) -> Result<String, ActionError> {
        let locator = locator.into();
        self.expect(&locator).until_attached().await?;
        let value = self
            .on_element(
                &locator,
                format!("read the value of {locator}"),
                "return typeof el.value === 'string' ? el.value : null;",
                Vec::new(),
            )
            .await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ActionError::Refused {
                action: format!("read the value of {locator}"),
                reason: "it is not a form control (no value)".into(),
            })
    }

    /// How many elements match, now.
    pub async fn count(&self, locator: impl Into<Locator>) -> Result<usize, ActionError> {
        let locator = locator.into();
        let script = format!("{RESOLVER}\nreturn harnessResolve(arguments[0]).length;");
        let n = self
            .script(&script, vec![json!(locator)])
            .await
            .map_err(command(format!("count {locator}")))?;
        Ok(n.as_u64().unwrap_or(0) as usize)
    }

    /// Every cookie of the current page.
    pub async fn cookies(&self) -> Result<Vec<Cookie>, ActionError> {
        self.client()
            .get_all_cookies()
            .await
            .map_err(command("read the cookies".into()))
    }

    /// The current page's cookie called `name`, if it has one.
    pub async fn cookie(&self, name: &str) -> Result<Option<Cookie>, ActionError> {
        Ok(self.cookies().await?.into_iter().find(|c| c.name() == name))
    }

    /// Set a cookie for the current page's origin: open a page of the service first (cookies
    /// belong to a site; `about:blank` has none). A session cookie got over the API this way
    /// signs the browser in without going through the login form.
    /// Unset, its domain is the page's host and its `SameSite` is `Lax`, as a browser would make
    /// them for a cookie the site set itself (WebDriver otherwise sends `SameSite=None`, which
    /// browsers refuse without `Secure`).
    pub async fn set_cookie(&self, mut cookie: Cookie) -> Result<(), ActionError> {
        let name = cookie.name().to_owned();
        self.action_step(format!("set the cookie {name}"), async {
            let url = self.url().await?;
            if !url.starts_with("http") {
                return Err(ActionError::Refused {
                    action: format!("set the cookie {name}"),
                    reason: format!(
                        "the page is {url}: open a page of the site the cookie is for first (goto), since cookies belong to a site"
                    ),
                });
            }
            if cookie.domain().is_none()
                && let Some(host) = url::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_owned))
            {
                cookie.set_domain(host);
            }
            if cookie.same_site().is_none() {
                cookie.set_same_site(cookie::SameSite::Lax);
            }
            self.client()
                .add_cookie(cookie)
                .await
                .map_err(command(format!("set the cookie {name}")))
        })
        .await
    }

    /// Remove every cookie of the current page.
    pub async fn clear_cookies(&self) -> Result<(), ActionError> {
        self.action_step("clear the cookies".into(), async {
            self.client()
                .delete_all_cookies()
                .await
                .map_err(command("clear the cookies".into()))
        })
        .await
    }

    /// The value `key` has in the page's local storage.
    pub async fn local_storage_get(&self, key: &str) -> Result<Option<String>, ActionError> {
        let value = self
            .execute_quiet(
                "return window.localStorage.getItem(arguments[0]);",
                vec![json!(key)],
                "read local storage",
            )
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Everything in the page's local storage.
    pub async fn local_storage(&self) -> Result<BTreeMap<String, String>, ActionError> {
        let value = self
            .execute_quiet(
                "const out = {}; for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i); out[k] = localStorage.getItem(k); } return out;",
                Vec::new(),
                "read local storage",
            )
            .await?;
        Ok(serde_json::from_value(value).unwrap_or_default())
    }

    /// Set `key` in the page's local storage (for the page's origin: open one first).
    pub async fn local_storage_set(&self, key: &str, value: &str) -> Result<(), ActionError> {
        self.action_step(format!("set local storage {key}"), async {
            self.execute_quiet(
                "window.localStorage.setItem(arguments[0], arguments[1]);",
                vec![json!(key), json!(value)],
                "write local storage",
            )
            .await
            .map(drop)
        })
        .await
    }

    async fn execute_quiet(
        &self,
        script: &str,
        args: Vec<Value>,
        what: &str,
    ) -> Result<Value, ActionError> {
        self.script(script, args)
            .await
            .map_err(command(what.to_owned()))
    }

    /// Run a script in the page (`arguments[i]` are `args`) and return its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, ActionError> {
        self.action_step(format!("run the script {:?}", short(script)), async {
            // Through WebDriver: a test's arguments may be elements it found there.
            self.client()
                .execute(script, args)
                .await
                .map_err(command("run a script in the page".to_owned()))
        })
        .await
    }

    /// Run one step of the test: timed, and recorded (with its outcome) for the report.
    pub(crate) async fn action_step<T>(
        &self,
        description: String,
        work: impl std::future::Future<Output = Result<T, ActionError>>,
    ) -> Result<T, ActionError> {
        let started = Instant::now();
        let result = work.await;
        self.record_step(
            description,
            started,
            result
                .as_ref()
                .map(drop)
                .map_err(|e| harness_core::error_chain(e)),
            true,
        )
        .await;
        result
    }
}

/// The element an action's locator matched, if it is one: else the strict-mode error naming them.
pub(crate) fn one(locator: &Locator, state: ElementState) -> Result<(), ActionError> {
    if state.count > 1 {
        return Err(ActionError::Ambiguous {
            locator: locator.to_string(),
            count: state.count,
            matches: state.matches,
        });
    }
    Ok(())
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// A key as DevTools dispatches it: Playwright's name for it, its physical code, its Windows key
/// code (which Chrome's default actions go by), and the text it types.
#[derive(Debug, PartialEq)]
struct KeyEvent {
    key: String,
    code: String,
    key_code: u32,
    text: String,
}

impl KeyEvent {
    /// The keys pressed over DevTools: no chord, and none whose default action (editing, moving
    /// the caret) Chrome leaves to the platform; the others go through WebDriver's key actions.
    fn of(name: &str) -> Option<KeyEvent> {
        let (key, code, key_code, text) = match name {
            "Enter" => ("Enter", "Enter".to_owned(), 13, "\r"),
            "Escape" => ("Escape", "Escape".to_owned(), 27, ""),
            "Tab" => ("Tab", "Tab".to_owned(), 9, ""),
            "Space" | " " => (" ", "Space".to_owned(), 32, " "),
            single => {
                let mut chars = single.chars();
                let c = chars.next()?;
                if chars.next().is_some() || c.is_control() {
                    return None;
                }
                let (code, key_code) = match c {
                    'a'..='z' | 'A'..='Z' => (
                        format!("Key{}", c.to_ascii_uppercase()),
                        u32::from(c.to_ascii_uppercase()),
                    ),
                    '0'..='9' => (format!("Digit{c}"), u32::from(c)),
                    _ => (String::new(), 0),
                };
                return Some(KeyEvent {
                    key: c.to_string(),
                    code,
                    key_code,
                    text: c.to_string(),
                });
            }
        };
        Some(KeyEvent {
            key: key.to_owned(),
            code,
            key_code,
            text: text.to_owned(),
        })
    }
}

/// A key name, or a chord like `Control+Shift+a`, as the characters WebDriver reads: modifiers
/// stay pressed until the end of the string.
fn chord(spec: &str) -> Result<String, ActionError> {
    let mut out = String::new();
    let parts: Vec<&str> = if spec == "+" {
        vec!["+"]
    } else {
        spec.split('+').collect()
    };
    for part in parts {
        let key = match part {
            "Enter" => Key::Enter,
            "Tab" => Key::Tab,
            "Escape" => Key::Escape,
            "Backspace" => Key::Backspace,
            "Delete" => Key::Delete,
            "Insert" => Key::Insert,
            "ArrowUp" => Key::Up,
            "ArrowDown" => Key::Down,
            "ArrowLeft" => Key::Left,
            "ArrowRight" => Key::Right,
            "Home" => Key::Home,
            "End" => Key::End,
            "PageUp" => Key::PageUp,
            "PageDown" => Key::PageDown,
            "Space" => Key::Space,
            "Shift" => Key::Shift,
            "Control" => Key::Control,
            "Alt" => Key::Alt,
            "Meta" => Key::Meta,
            "F1" => Key::F1,
            "F2" => Key::F2,
            "F3" => Key::F3,
            "F4" => Key::F4,
            "F5" => Key::F5,
            "F6" => Key::F6,
            "F7" => Key::F7,
            "F8" => Key::F8,
            "F9" => Key::F9,
            "F10" => Key::F10,
            "F11" => Key::F11,
            "F12" => Key::F12,
            single if single.chars().count() == 1 => {
                out.push_str(single);
                continue;
            }
            _ => {
                return Err(ActionError::Refused {
                    action: format!("press {spec}"),
                    reason: format!(
                        "{part:?} is not a key name; use a character or one of Enter, Tab, Escape, Backspace, Delete, Insert, ArrowUp, ArrowDown, ArrowLeft, ArrowRight, Home, End, PageUp, PageDown, Space, Shift, Control, Alt, Meta, F1-F12, joined by + for a chord"
                    ),
                });
            }
        };
        out.push(char::from(key));
    }
    Ok(out)
}

pub(crate) fn command(action: String) -> impl FnOnce(fantoccini::error::CmdError) -> ActionError {
    move |source| match super::wait::session_lost(&source) {
        Some(reason) => ActionError::SessionGone {
            action,
            reason,
            source: Box::new(source),
        },
        None => ActionError::Command { action, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_keys_become_devtools_key_events_and_the_rest_stay_webdriver_s() {
        let enter = KeyEvent::of("Enter").unwrap();
        assert_eq!(
            (
                enter.key.as_str(),
                enter.code.as_str(),
                enter.key_code,
                enter.text.as_str()
            ),
            ("Enter", "Enter", 13, "\r")
        );
        let a = KeyEvent::of("a").unwrap();
        assert_eq!(
            (a.code.as_str(), a.key_code, a.text.as_str()),
            ("KeyA", 65, "a")
        );
        assert_eq!(KeyEvent::of("7").unwrap().code, "Digit7");
        assert_eq!(KeyEvent::of("Escape").unwrap().text, "");
        // Chords and editing keys go through WebDriver's key actions.
        for name in [
            "Control+a",
            "Shift+Tab",
            "Backspace",
            "ArrowDown",
            "F5",
            "+",
        ] {
            assert!(KeyEvent::of(name).is_none() || name == "+", "{name}");
        }
        assert_eq!(KeyEvent::of("+").unwrap().text, "+");
    }

    #[test]
    fn keys_and_chords_become_webdriver_characters() {
        assert_eq!(chord("Enter").unwrap(), "\u{E007}");
        assert_eq!(chord("Control+a").unwrap(), "\u{E009}a");
        assert_eq!(chord("Shift+Tab").unwrap(), "\u{E008}\u{E004}");
        assert_eq!(chord("+").unwrap(), "+");
        assert_eq!(chord("é").unwrap(), "é");
        let err = chord("Control+Return").unwrap_err().to_string();
        assert!(err.contains("\"Return\" is not a key name"), "{err}");
        assert!(err.contains("ArrowDown"), "{err}");
    }
}
