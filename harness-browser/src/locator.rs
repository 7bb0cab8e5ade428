//! `Locator`: which elements of the page a step acts on, in the spirit of Playwright's locators:
//! by test id, visible text, ARIA role and accessible name, label or CSS, narrowed step by step.
//!
//! A locator is data, not a handle: it is resolved again in the page (by `locator.js`) at every
//! poll and every action, so it survives re-renders, and an action waits for it to match.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

/// The in-page resolver every script of the harness starts with.
pub(crate) const RESOLVER: &str = include_str!("locator.js");

/// One step of a locator, as the resolver reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Part {
    Css {
        value: String,
    },
    TestId {
        value: String,
    },
    Text {
        value: String,
        exact: bool,
    },
    Role {
        value: String,
        name: Option<String>,
        exact: bool,
    },
    Label {
        value: String,
        exact: bool,
    },
    Placeholder {
        value: String,
        exact: bool,
    },
    AltText {
        value: String,
        exact: bool,
    },
    Title {
        value: String,
        exact: bool,
    },
    Nth {
        index: i64,
    },
    HasText {
        value: String,
        negate: bool,
    },
    Has {
        inner: Vec<Part>,
        negate: bool,
    },
}

/// Which elements of the page a step acts on or an assertion looks at.
///
/// Made by one of the constructors, then narrowed: [`Locator::locate`] (within),
/// [`Locator::nth`], [`Locator::first`], [`Locator::last`], [`Locator::filter_text`],
/// [`Locator::has`] (containing). A `&str` is a CSS selector, so `browser.click("#save")` and
/// `browser.click(Locator::test_id("save"))` both work. An action waits until its element is visible and enabled, and refuses a locator
/// that matches several elements, naming them (Playwright's strict mode): `.first()` or `.nth(i)`
/// say which. Reads and expectations look at the first match.
///
/// Text and names match as Playwright's do: whitespace is collapsed, and the match is a
/// case-insensitive substring unless made exact ([`Locator::text_exact`],
/// [`Locator::exact`]).
///
/// ```
/// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
/// use harness::browser::Locator;
///
/// let save = Locator::role("button").name("Save");
/// let second_row = Locator::test_id("traces").locate("tr").nth(1);
/// let failed = Locator::css("li").filter_text("failed");
/// assert_eq!(second_row.to_string(), "test id \"traces\" >> css \"tr\" >> nth(1)");
/// # let _ = (save, failed);
/// ```
///
/// What narrows only some steps is a method of the locators that end with one:
/// [`name`](Locator::name) of a role's, [`exact`](Locator::exact) of a role's, a text's or a
/// label's. The type says which a locator ends with ([`ends_with`]); given to any other, it does
/// not compile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Locator<Last = ends_with::Anything> {
    parts: Vec<Part>,
    #[serde(skip)]
    last: PhantomData<Last>,
}

/// What a [`Locator`] ends with, as far as the methods that narrow only some steps care.
pub mod ends_with {
    /// Any step: the narrowing that applies to every locator.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Anything;
    /// An ARIA role: [`name`](super::Locator::name) and [`exact`](super::Locator::exact) apply.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Role;
    /// A text or a label: [`exact`](super::Locator::exact) applies.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Text;

    /// Locators that [`name`](super::Locator::name) narrows: a role's.
    #[diagnostic::on_unimplemented(
        message = "`name` narrows a role: this locator does not end with one",
        label = "not `Locator::role(..)`",
        note = "name the role's elements right after it: `Locator::role(\"button\").name(\"Save\")`"
    )]
    pub trait Named {}
    impl Named for Role {}

    /// Locators that [`exact`](super::Locator::exact) applies to: a role's (its name), a
    /// text's or a label's.
    #[diagnostic::on_unimplemented(
        message = "`exact` applies to a role's name, a text or a label: this locator ends otherwise",
        label = "not a role, text or label last",
        note = "make the step exact right after it: `Locator::text(\"Save\").exact()`, before `nth` or `locate`"
    )]
    pub trait Exact {}
    impl Exact for Role {}
    impl Exact for Text {}
}

fn with_parts<Last>(parts: Vec<Part>) -> Locator<Last> {
    Locator {
        parts,
        last: PhantomData,
    }
}

impl<Last> Locator<Last> {
    fn then(mut self, part: Part) -> Locator {
        self.parts.push(part);
        with_parts(self.parts)
    }

    /// Elements matching `inner` inside the elements this locator matches.
    pub fn locate(mut self, inner: impl Into<Locator>) -> Locator {
        self.parts.extend(inner.into().parts);
        with_parts(self.parts)
    }

    /// The `index`-th match (from 0); negative counts from the end (`-1` is the last).
    pub fn nth(self, index: i64) -> Locator {
        self.then(Part::Nth { index })
    }

    /// The first match.
    pub fn first(self) -> Locator {
        self.nth(0)
    }

    /// The last match.
    pub fn last(self) -> Locator {
        self.nth(-1)
    }

    /// Only the matches whose text contains `text` (case-insensitive).
    pub fn filter_text(self, text: impl Into<String>) -> Locator {
        self.then(Part::HasText {
            value: normalized(text.into()),
            negate: false,
        })
    }

    /// Only the matches whose text does not contain `text` (case-insensitive).
    pub fn filter_no_text(self, text: impl Into<String>) -> Locator {
        self.then(Part::HasText {
            value: normalized(text.into()),
            negate: true,
        })
    }

    /// Only the matches that contain an element `inner` matches (Playwright's `has`):
    /// `Locator::role("listitem").has(Locator::role("button").name("Remove"))`.
    pub fn has(self, inner: impl Into<Locator>) -> Locator {
        self.then(Part::Has {
            inner: inner.into().parts,
            negate: false,
        })
    }

    /// Only the matches that contain nothing `inner` matches (Playwright's `hasNot`).
    pub fn has_not(self, inner: impl Into<Locator>) -> Locator {
        self.then(Part::Has {
            inner: inner.into().parts,
            negate: true,
        })
    }

    /// The same elements, whatever the locator ends with.
    fn any(self) -> Locator {
        with_parts(self.parts)
    }
}

impl Locator {
    fn of<Last>(part: Part) -> Locator<Last> {
        with_parts(vec![part])
    }

    /// Elements matching a CSS selector.
    pub fn css(selector: impl Into<String>) -> Locator {
        Locator::of(Part::Css {
            value: selector.into(),
        })
    }

    /// Elements whose `data-testid` is `id`.
    pub fn test_id(id: impl Into<String>) -> Locator {
        Locator::of(Part::TestId { value: id.into() })
    }

    /// The innermost elements whose text contains `text` (case-insensitive, whitespace collapsed).
    pub fn text(text: impl Into<String>) -> Locator<ends_with::Text> {
        Locator::of(Part::Text {
            value: normalized(text.into()),
            exact: false,
        })
    }

    /// The innermost elements whose whole text is `text` (case-sensitive, whitespace collapsed).
    pub fn text_exact(text: impl Into<String>) -> Locator<ends_with::Text> {
        Locator::of(Part::Text {
            value: normalized(text.into()),
            exact: true,
        })
    }

    /// Elements of an ARIA role (`button`, `link`, `heading`, `textbox`, `checkbox`, `combobox`,
    /// `listitem`, …), explicit (`role="…"`) or implied by the tag; narrow by accessible name
    /// with [`Locator::name`]. Elements under `hidden` or `aria-hidden="true"` are left out.
    pub fn role(role: impl Into<String>) -> Locator<ends_with::Role> {
        Locator::of(Part::Role {
            value: role.into(),
            name: None,
            exact: false,
        })
    }

    /// Form controls (and elements with an `aria-label`) whose label contains `text`: a
    /// `<label for>`, an enclosing `<label>`, `aria-label`, `aria-labelledby`, else the
    /// placeholder.
    pub fn label(text: impl Into<String>) -> Locator<ends_with::Text> {
        Locator::of(Part::Label {
            value: normalized(text.into()),
            exact: false,
        })
    }

    /// Inputs and text areas whose `placeholder` contains `text` (Playwright's `getByPlaceholder`).
    pub fn placeholder(text: impl Into<String>) -> Locator<ends_with::Text> {
        Locator::of(Part::Placeholder {
            value: normalized(text.into()),
            exact: false,
        })
    }

    /// Elements (images, image inputs, areas) whose `alt` text contains `text` (Playwright's
    /// `getByAltText`).
    pub fn alt_text(text: impl Into<String>) -> Locator<ends_with::Text> {
        Locator::of(Part::AltText {
            value: normalized(text.into()),
            exact: false,
        })
    }

    /// Elements whose `title` attribute contains `text` (Playwright's `getByTitle`).
    pub fn title(text: impl Into<String>) -> Locator<ends_with::Text> {
        Locator::of(Part::Title {
            value: normalized(text.into()),
            exact: false,
        })
    }
}

impl<Last> Locator<Last> {
    /// Only the elements of the role whose accessible name contains `name` (its `aria-label`,
    /// its labels, its text, its `alt` or `title`): of `Locator::role(..)` only.
    pub fn name(mut self, name: impl Into<String>) -> Locator<ends_with::Role>
    where
        Last: ends_with::Named,
    {
        if let Some(Part::Role { name: slot, .. }) = self.parts.last_mut() {
            *slot = Some(normalized(name.into()));
        }
        with_parts(self.parts)
    }

    /// Match the last name, text or label exactly (case-sensitive, the whole string): of a
    /// role's, a text's or a label's locator only.
    pub fn exact(mut self) -> Locator<Last>
    where
        Last: ends_with::Exact,
    {
        if let Some(
            Part::Text { exact, .. }
            | Part::Role { exact, .. }
            | Part::Label { exact, .. }
            | Part::Placeholder { exact, .. }
            | Part::AltText { exact, .. }
            | Part::Title { exact, .. },
        ) = self.parts.last_mut()
        {
            *exact = true;
        }
        self
    }
}

fn normalized(text: String) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl From<&str> for Locator {
    fn from(selector: &str) -> Locator {
        Locator::css(selector)
    }
}

impl From<String> for Locator {
    fn from(selector: String) -> Locator {
        Locator::css(selector)
    }
}

impl From<&String> for Locator {
    fn from(selector: &String) -> Locator {
        Locator::css(selector.as_str())
    }
}

impl From<&Locator> for Locator {
    fn from(locator: &Locator) -> Locator {
        locator.clone()
    }
}

impl From<Locator<ends_with::Role>> for Locator {
    fn from(locator: Locator<ends_with::Role>) -> Locator {
        locator.any()
    }
}

impl From<&Locator<ends_with::Role>> for Locator {
    fn from(locator: &Locator<ends_with::Role>) -> Locator {
        locator.clone().any()
    }
}

impl From<Locator<ends_with::Text>> for Locator {
    fn from(locator: Locator<ends_with::Text>) -> Locator {
        locator.any()
    }
}

impl From<&Locator<ends_with::Text>> for Locator {
    fn from(locator: &Locator<ends_with::Text>) -> Locator {
        locator.clone().any()
    }
}

impl<Last> fmt::Display for Locator<Last> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_parts(f, &self.parts)
    }
}

fn write_parts(f: &mut fmt::Formatter<'_>, parts: &[Part]) -> fmt::Result {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            f.write_str(" >> ")?;
        }
        let exactly = |exact: &bool| if *exact { " (exact)" } else { "" };
        match part {
            Part::Css { value } => write!(f, "css {value:?}")?,
            Part::TestId { value } => write!(f, "test id {value:?}")?,
            Part::Text { value, exact } => write!(f, "text {value:?}{}", exactly(exact))?,
            Part::Role { value, name, exact } => {
                write!(f, "role {value}")?;
                if let Some(name) = name {
                    write!(f, " named {name:?}{}", exactly(exact))?;
                }
            }
            Part::Label { value, exact } => write!(f, "label {value:?}{}", exactly(exact))?,
            Part::Placeholder { value, exact } => {
                write!(f, "placeholder {value:?}{}", exactly(exact))?
            }
            Part::AltText { value, exact } => write!(f, "alt text {value:?}{}", exactly(exact))?,
            Part::Title { value, exact } => write!(f, "title {value:?}{}", exactly(exact))?,
            Part::Nth { index } => write!(f, "nth({index})")?,
            Part::HasText { value, negate } => write!(
                f,
                "{} {value:?}",
                if *negate { "without text" } else { "with text" }
            )?,
            Part::Has { inner, negate } => {
                f.write_str(if *negate { "has not (" } else { "has (" })?;
                write_parts(f, inner)?;
                f.write_str(")")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locator_reads_as_its_steps() {
        let l = Locator::role("button").name("  Save\n draft ").exact();
        assert_eq!(l.to_string(), "role button named \"Save draft\" (exact)");
        let l = Locator::test_id("list")
            .locate(Locator::text("one"))
            .filter_no_text("two")
            .last();
        assert_eq!(
            l.to_string(),
            "test id \"list\" >> text \"one\" >> without text \"two\" >> nth(-1)"
        );
        assert_eq!(Locator::from("#a").to_string(), "css \"#a\"");
        let l = Locator::role("listitem")
            .has(Locator::role("button").name("Remove"))
            .has_not(Locator::alt_text("logo").exact());
        assert_eq!(
            l.to_string(),
            "role listitem >> has (role button named \"Remove\") >> has not (alt text \"logo\" (exact))"
        );
    }

    #[test]
    fn a_locator_is_sent_to_the_page_as_its_parts() {
        let l = Locator::label("Email").locate("input").first();
        assert_eq!(
            serde_json::to_value(&l).unwrap(),
            serde_json::json!([
                {"kind": "label", "value": "Email", "exact": false},
                {"kind": "css", "value": "input"},
                {"kind": "nth", "index": 0},
            ])
        );
    }
}
