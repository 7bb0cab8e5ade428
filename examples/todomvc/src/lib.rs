//! A to-do app to TodoMVC's specification (add, complete, edit on a double-click, counter, clear
//! completed, filters by URL hash, saved in local storage), written here in plain JavaScript so
//! that Playwright's own to-do suite, ported in `tests/playwright_suite.rs`, runs offline.

use axum::Router;
use axum::response::Html;
use axum::routing::get;

/// The page: markup, style and script in one file.
pub const PAGE: &str = include_str!("todomvc.html");

/// The app: the page at `/`.
pub fn app() -> Router {
    Router::new().route("/", get(|| async { Html(PAGE) }))
}
