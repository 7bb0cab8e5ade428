//! ARIA snapshots, as Playwright's `toMatchAriaSnapshot`: the accessibility tree under an element
//! (read in the page by `aria.js`), written in Playwright's YAML form, and templates in that form
//! matched against it — partially by default (a template lists what must be there, in order;
//! `/children: equal` or `deep-equal` asks for more).
//!
//! The template's YAML is parsed by hand: it is a fixed, line-oriented subset whose entries are a
//! grammar of their own (`role "name" [attr=value]: text`, `/regex/`), which a YAML crate would
//! hand back as plain strings to parse anyway.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use regex::Regex;
use serde::Deserialize;
use serde_json::json;

use super::error::{ActionError, WaitError};
use super::locator::{Locator, RESOLVER};
use super::session::Browser;
use super::wait::{Attempt, script_failed};

/// The states a node shows, in the order a snapshot lists them.
const ATTRIBUTES: [&str; 6] = [
    "checked", "disabled", "expanded", "level", "pressed", "selected",
];

/// One entry of the tree: a run of text, or an element with a role.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum AriaItem {
    Text(String),
    Node(AriaNode),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct AriaNode {
    role: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    children: Vec<AriaItem>,
}

fn script() -> &'static str {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| {
        format!(
            "{RESOLVER}\n{}\nconst all = harnessResolve(arguments[0]); \
             return all.length === 1 ? {{count: 1, tree: harnessAriaTree(all[0])}} : {{count: all.length}};",
            include_str!("aria.js")
        )
    })
}

#[derive(Deserialize)]
struct Read {
    count: usize,
    #[serde(default)]
    tree: Vec<AriaItem>,
}

/// The tree in Playwright's YAML form: what [`Browser::aria_snapshot`] returns and a failed
/// match shows.
pub(crate) fn render(items: &[AriaItem]) -> String {
    let mut out = String::new();
    render_into(items, 0, &mut out);
    out
}

fn render_into(items: &[AriaItem], depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    for item in items {
        let node = match item {
            AriaItem::Text(text) => {
                let _ = writeln!(out, "{indent}- text: {}", scalar(text));
                continue;
            }
            AriaItem::Node(node) => node,
        };
        let mut head = node.role.clone();
        if !node.name.is_empty() {
            let _ = write!(head, " {}", quoted(&node.name));
        }
        for key in ATTRIBUTES {
            match node.attributes.get(key).map(String::as_str) {
                None => {}
                // Unchecked, enabled and unselected are what a node is unless it says otherwise.
                Some("false") if matches!(key, "checked" | "disabled" | "selected") => {}
                Some("true") => {
                    let _ = write!(head, " [{key}]");
                }
                Some(value) => {
                    let _ = write!(head, " [{key}={value}]");
                }
            }
        }
        match (&node.url, node.children.as_slice()) {
            (None, []) => {
                let _ = writeln!(out, "{indent}- {head}");
            }
            (None, [AriaItem::Text(text)]) => {
                let _ = writeln!(out, "{indent}- {head}: {}", scalar(text));
            }
            (url, children) => {
                let _ = writeln!(out, "{indent}- {head}:");
                if let Some(url) = url {
                    let _ = writeln!(out, "{indent}  - /url: {}", scalar(url));
                }
                render_into(children, depth + 1, out);
            }
        }
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Plain when YAML (and a template) reads it back as the same text, else quoted: a `/` first is
/// plain unless a `/` ends it too (a regex).
fn scalar(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || (c == '/' && !text[1..].ends_with('/')))
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.ends_with(' ')
        && !text.contains(['"', '\n', '[', ']', '{', '}']);
    if plain { text.to_owned() } else { quoted(text) }
}

/// A text in a template: the text itself (whitespace collapsed) or a `/regex/`.
#[derive(Debug)]
enum Text {
    Exact(String),
    Pattern(Regex),
}

impl Text {
    fn matches(&self, actual: &str) -> bool {
        match self {
            Text::Exact(text) => text.split_whitespace().eq(actual.split_whitespace()),
            Text::Pattern(re) => re.is_match(actual),
        }
    }
}

/// How a template's children are matched against a node's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Children {
    /// Each listed child is there, in this order, among others (the default).
    Contain,
    /// Exactly these children, in this order; theirs matched partially.
    Equal,
    /// Exactly these, all the way down.
    DeepEqual,
}

#[derive(Debug)]
enum Item {
    Text(Text),
    Node(Node),
}

#[derive(Debug)]
struct Node {
    role: String,
    name: Option<Text>,
    attributes: Vec<(String, String)>,
    url: Option<Text>,
    /// `None`: the template says nothing of them.
    children: Option<Vec<Item>>,
    mode: Children,
}

impl Node {
    /// A node of `role` that says nothing more (the root's role is empty).
    fn new(role: String) -> Node {
        Node {
            role,
            name: None,
            attributes: Vec::new(),
            url: None,
            children: None,
            mode: Children::Contain,
        }
    }
}

/// A parsed template.
#[derive(Debug)]
pub(crate) struct Template {
    items: Vec<Item>,
    mode: Children,
}

/// A template line that cannot be read: its number (from 1) and why.
type Bad = (usize, String);

struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

impl Template {
    pub(crate) fn parse(template: &str) -> Result<Template, WaitError> {
        Self::parse_lines(template).map_err(|(line, problem)| WaitError::AriaTemplate {
            line,
            text: template
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or_default()
                .trim()
                .to_owned(),
            problem,
        })
    }

    fn parse_lines(template: &str) -> Result<Template, Bad> {
        let lines: Vec<Line<'_>> = template
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|(i, l)| Line {
                number: i + 1,
                indent: l.len() - l.trim_start().len(),
                text: l.trim(),
            })
            .collect();
        let Some(first) = lines.first() else {
            return Err((1, "the template is empty".into()));
        };
        if let Some(tab) = template.lines().position(|l| l.starts_with('\t')) {
            return Err((tab + 1, "indent with spaces, not tabs".into()));
        }
        let mut at = 0;
        let mut root = Node::new(String::new());
        let items = parse_list(&lines, &mut at, first.indent, &mut root)?;
        if let Some(line) = lines.get(at) {
            return Err((
                line.number,
                "indented less than the template's first line".into(),
            ));
        }
        Ok(Template {
            items,
            mode: root.mode,
        })
    }

    /// Whether the children of some node of `tree` (or `tree` itself) hold the template.
    fn found_in(&self, tree: &[AriaItem]) -> bool {
        list_matches(&self.items, tree, self.mode)
            || tree.iter().any(|item| match item {
                AriaItem::Node(node) => self.found_in(&node.children),
                AriaItem::Text(_) => false,
            })
    }
}

/// The entries at `indent`, from `lines[*at]` on; `/url:` and `/children:` go to `parent`.
fn parse_list(
    lines: &[Line<'_>],
    at: &mut usize,
    indent: usize,
    parent: &mut Node,
) -> Result<Vec<Item>, Bad> {
    let mut items = Vec::new();
    while let Some(line) = lines.get(*at) {
        if line.indent < indent {
            break;
        }
        if line.indent > indent {
            return Err((
                line.number,
                "indented deeper than an entry that takes children (end it with `:`)".into(),
            ));
        }
        *at += 1;
        let entry = line
            .text
            .strip_prefix("- ")
            .or_else(|| (line.text == "-").then_some(""))
            .ok_or((line.number, "an entry starts with `- `".to_owned()))?
            .trim();
        if let Some(rest) = entry.strip_prefix('/')
            && let Some((key, value)) = rest.split_once(':')
            && key.chars().all(|c| c.is_ascii_alphabetic())
        {
            let value = value.trim();
            match key {
                "url" => parent.url = Some(text(value, line.number)?),
                "children" => {
                    parent.mode = match value {
                        "contain" => Children::Contain,
                        "equal" => Children::Equal,
                        "deep-equal" => Children::DeepEqual,
                        other => {
                            return Err((
                                line.number,
                                format!(
                                    "`/children:` takes contain, equal or deep-equal, not {other:?}"
                                ),
                            ));
                        }
                    }
                }
                // Playwright's `/placeholder:` and others the harness does not read.
                other => {
                    return Err((
                        line.number,
                        format!(
                            "the property `/{other}` is not one the harness reads (`/url`, `/children`)"
                        ),
                    ));
                }
            }
            continue;
        }
        if let Some(value) = entry.strip_prefix("text:") {
            items.push(Item::Text(text(value.trim(), line.number)?));
            continue;
        }
        if entry.starts_with('"') || entry.starts_with('\'') {
            items.push(Item::Text(text(entry, line.number)?));
            continue;
        }
        let mut node = parse_node(entry, line.number)?;
        let takes_children = node.children.is_none() && entry.ends_with(':');
        if takes_children
            && let Some(next) = lines.get(*at)
            && next.indent > indent
        {
            let mut children = parse_list(lines, at, next.indent, &mut node)?;
            // `/children:` and `/url:` alone leave the children unsaid.
            if !children.is_empty() || node.mode != Children::Contain {
                node.children = Some(std::mem::take(&mut children));
            }
        }
        items.push(Item::Node(node));
    }
    Ok(items)
}

/// `role "name" [attr] [attr=value]`, then `:` and perhaps a text.
fn parse_node(entry: &str, line: usize) -> Result<Node, Bad> {
    let role_end = entry
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(entry.len());
    let role = &entry[..role_end];
    if role.is_empty() {
        return Err((
            line,
            format!(
                "expected a role (`button`, `heading \"Title\"`), `text:` or a quoted text; got {entry:?}"
            ),
        ));
    }
    let mut rest = entry[role_end..].trim_start();
    let mut node = Node::new(role.to_owned());
    if rest.starts_with(['"', '\'', '/']) {
        let end = closing(rest).ok_or((line, format!("the name {rest:?} is not closed")))?;
        node.name = Some(text(&rest[..end], line)?);
        rest = rest[end..].trim_start();
    }
    while let Some(inner) = rest.strip_prefix('[') {
        let end = inner
            .find(']')
            .ok_or((line, "a `[` without its `]`".to_owned()))?;
        let (key, value) = match inner[..end].split_once('=') {
            Some((key, value)) => (key.trim(), value.trim()),
            None => (inner[..end].trim(), "true"),
        };
        if !ATTRIBUTES.contains(&key) {
            return Err((
                line,
                format!(
                    "[{key}] is not a state a snapshot has ({})",
                    ATTRIBUTES.join(", ")
                ),
            ));
        }
        node.attributes.push((key.to_owned(), value.to_owned()));
        rest = inner[end + 1..].trim_start();
    }
    if let Some(value) = rest.strip_prefix(':') {
        let value = value.trim();
        if !value.is_empty() {
            node.children = Some(vec![Item::Text(text(value, line)?)]);
        }
    } else if !rest.is_empty() {
        return Err((line, format!("unexpected {rest:?} after the role and name")));
    }
    Ok(node)
}

/// Where a quoted text or a `/regex/` at the start of `s` ends (just past its closing mark).
fn closing(s: &str) -> Option<usize> {
    let mark = s.chars().next()?;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if mark != '\'' => escaped = !escaped,
            c if c == mark && !escaped => return Some(i + 1),
            _ => escaped = false,
        }
    }
    None
}

/// A text as written in a template: `"double"` (JSON escapes), `'single'`, `/regex/`, or plain.
fn text(value: &str, line: usize) -> Result<Text, Bad> {
    if value.len() >= 2 && value.starts_with('/') && value.ends_with('/') {
        return Regex::new(&value[1..value.len() - 1])
            .map(Text::Pattern)
            .map_err(|e| (line, format!("the pattern {value} is not a regex: {e}")));
    }
    if value.starts_with('"') {
        return serde_json::from_str::<String>(value)
            .map(Text::Exact)
            .map_err(|e| (line, format!("the text {value} is not quoted right: {e}")));
    }
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return Ok(Text::Exact(inner.replace("''", "'")));
    }
    Ok(Text::Exact(value.to_owned()))
}

fn list_matches(template: &[Item], actual: &[AriaItem], mode: Children) -> bool {
    match mode {
        Children::Contain => {
            // Each template item at the earliest child it matches: if any order fits, this does.
            let mut rest = actual.iter();
            template
                .iter()
                .all(|wanted| rest.any(|item| item_matches(wanted, item, false)))
        }
        Children::Equal | Children::DeepEqual => {
            template.len() == actual.len()
                && template
                    .iter()
                    .zip(actual)
                    .all(|(wanted, item)| item_matches(wanted, item, mode == Children::DeepEqual))
        }
    }
}

fn item_matches(wanted: &Item, actual: &AriaItem, deep: bool) -> bool {
    match (wanted, actual) {
        (Item::Text(wanted), AriaItem::Text(actual)) => wanted.matches(actual),
        (Item::Node(wanted), AriaItem::Node(actual)) => node_matches(wanted, actual, deep),
        _ => false,
    }
}

fn node_matches(wanted: &Node, actual: &AriaNode, deep: bool) -> bool {
    wanted.role == actual.role
        && wanted.name.as_ref().is_none_or(|n| n.matches(&actual.name))
        && wanted
            .attributes
            .iter()
            .all(|(key, value)| actual.attributes.get(key).map_or("false", String::as_str) == value)
        && wanted
            .url
            .as_ref()
            .is_none_or(|u| actual.url.as_deref().is_some_and(|url| u.matches(url)))
        && match &wanted.children {
            None => !deep || actual.children.is_empty(),
            Some(children) => list_matches(
                children,
                &actual.children,
                if deep {
                    Children::DeepEqual
                } else {
                    wanted.mode
                },
            ),
        }
}

impl Browser {
    /// The accessibility tree under the one element `locator` matches, in Playwright's ARIA
    /// snapshot form (YAML): paste it into a test as the template of
    /// [`Expect::to_match_aria_snapshot`](crate::Expect::to_match_aria_snapshot).
    pub async fn aria_snapshot(&self, locator: impl Into<Locator>) -> Result<String, ActionError> {
        let locator = locator.into();
        let started = Instant::now();
        super::actions::one(
            &locator,
            self.expect(&locator).until_attached_state().await?,
        )?;
        let result = self.read_tree(&locator).await.and_then(|read| match read {
            Read { count: 1, tree } => Ok(render(&tree)),
            _ => Err(ActionError::Detached {
                locator: locator.to_string(),
            }),
        });
        self.record_step(
            format!("read the ARIA snapshot of {locator}"),
            started,
            result.as_ref().map(drop).map_err(|e| e.to_string()),
            false,
        )
        .await;
        result
    }

    async fn read_tree(&self, locator: &Locator) -> Result<Read, ActionError> {
        let value =
            self.script(script(), vec![json!(locator)])
                .await
                .map_err(super::actions::command(format!(
                    "read the accessibility tree of {locator}"
                )))?;
        serde_json::from_value(value).map_err(|e| ActionError::Refused {
            action: format!("read the accessibility tree of {locator}"),
            reason: format!("the page's answer was unexpected: {e}"),
        })
    }

    /// The wait of [`Expect::to_match_aria_snapshot`](crate::Expect::to_match_aria_snapshot).
    pub(crate) async fn until_aria_snapshot(
        &self,
        locator: &Locator,
        template: &str,
        timeout: std::time::Duration,
        negated: bool,
    ) -> Result<(), WaitError> {
        let parsed = Template::parse(template)?;
        let expected = if negated {
            "not to match the ARIA snapshot"
        } else {
            "to match the ARIA snapshot"
        };
        self.retry(
            locator.to_string(),
            expected.into(),
            timeout,
            true,
            async || {
                let value = match self.script(script(), vec![json!(locator)]).await {
                    Ok(value) => value,
                    Err(e) => return script_failed(&e, "the page could not be read"),
                };
                match serde_json::from_value::<Read>(value) {
                    Ok(Read { count: 1, tree }) if parsed.found_in(&tree) != negated => {
                        Attempt::Done(())
                    }
                    Ok(Read { count: 1, tree }) => {
                        Attempt::NotYet(format!("this tree:\n{}", render(&tree).trim_end()))
                    }
                    Ok(Read { count: 0, .. }) => Attempt::NotYet("nothing matching".into()),
                    Ok(Read { count, .. }) => Attempt::NotYet(format!(
                        "{count} elements matching: a snapshot is of one (use .first() or .nth())"
                    )),
                    Err(e) => Attempt::NotYet(format!("an unexpected answer: {e}")),
                }
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(role: &str, name: &str, children: Vec<AriaItem>) -> AriaItem {
        AriaItem::Node(AriaNode {
            role: role.into(),
            name: name.into(),
            attributes: BTreeMap::new(),
            url: None,
            children,
        })
    }

    fn text(t: &str) -> AriaItem {
        AriaItem::Text(t.into())
    }

    fn with(mut item: AriaItem, key: &str, value: &str) -> AriaItem {
        if let AriaItem::Node(n) = &mut item {
            n.attributes.insert(key.into(), value.into());
        }
        item
    }

    fn page() -> Vec<AriaItem> {
        vec![node(
            "main",
            "",
            vec![
                with(node("heading", "Todos", vec![]), "level", "1"),
                node(
                    "list",
                    "",
                    vec![
                        node("listitem", "", vec![text("buy milk")]),
                        node(
                            "listitem",
                            "",
                            vec![with(node("checkbox", "done", vec![]), "checked", "true")],
                        ),
                        node("listitem", "", vec![text("walk the dog")]),
                    ],
                ),
                AriaItem::Node(AriaNode {
                    role: "link".into(),
                    name: "About".into(),
                    attributes: BTreeMap::new(),
                    url: Some("/about".into()),
                    children: vec![],
                }),
            ],
        )]
    }

    fn matches(template: &str) -> bool {
        Template::parse(template)
            .unwrap_or_else(|e| panic!("{e}"))
            .found_in(&page())
    }

    #[test]
    fn a_tree_is_written_in_playwright_s_form() {
        assert_eq!(
            render(&page()),
            "- main:\n\
             \x20 - heading \"Todos\" [level=1]\n\
             \x20 - list:\n\
             \x20   - listitem: buy milk\n\
             \x20   - listitem:\n\
             \x20     - checkbox \"done\" [checked]\n\
             \x20   - listitem: walk the dog\n\
             \x20 - link \"About\":\n\
             \x20   - /url: /about\n"
        );
        // What it writes, it reads back as a template that matches it exactly.
        let written = render(&page());
        assert!(matches(&format!("- /children: deep-equal\n{written}")));
    }

    #[test]
    fn a_template_matches_partially_in_order_by_default() {
        assert!(matches(
            r#"
            - heading "Todos"
            - list:
              - listitem: walk the dog
            "#
        ));
        // Anywhere in the tree, names by regex, states as written.
        assert!(matches("- listitem: /dog$/"));
        assert!(matches("- heading /^To/ [level=1]"));
        assert!(matches("- checkbox [checked]"));
        assert!(matches("- link \"About\":\n  - /url: /about"));
        // What is not there, or out of order, or in another state, is not.
        assert!(!matches("- heading \"Todo\""));
        assert!(!matches("- heading [level=2]"));
        assert!(!matches("- checkbox [checked=false]"));
        assert!(!matches(
            "- list:\n  - listitem: walk the dog\n  - listitem: buy milk"
        ));
        assert!(!matches("- link:\n  - /url: /contact"));
    }

    #[test]
    fn children_equal_and_deep_equal_ask_for_every_child() {
        assert!(!matches(
            "- list:\n  - /children: equal\n  - listitem: buy milk\n  - listitem: walk the dog"
        ));
        assert!(matches(
            "- list:\n  - /children: equal\n  - listitem: buy milk\n  - listitem\n  - listitem: walk the dog"
        ));
        // deep-equal: the middle item's checkbox must be listed too.
        assert!(!matches(
            "- list:\n  - /children: deep-equal\n  - listitem: buy milk\n  - listitem\n  - listitem: walk the dog"
        ));
    }

    #[test]
    fn a_bad_template_is_refused_naming_its_line() {
        for (template, line, says) in [
            ("", 1, "empty"),
            ("- heading \"x\" [levl=1]", 1, "[levl] is not a state"),
            ("- heading \"x", 1, "is not closed"),
            ("- list:\n- listitem\n    - text: x", 3, "indented deeper"),
            ("- button:\n  /url: x", 2, "starts with `- `"),
            ("- link /(/", 1, "not a regex"),
            (
                "- list:\n  - /children: some",
                2,
                "contain, equal or deep-equal",
            ),
        ] {
            let err = Template::parse(template).unwrap_err();
            let WaitError::AriaTemplate { line: at, .. } = &err else {
                panic!("{err:?}");
            };
            assert_eq!(*at, line, "{template:?}: {err}");
            assert!(err.to_string().contains(says), "{template:?}: {err}");
        }
    }
}
