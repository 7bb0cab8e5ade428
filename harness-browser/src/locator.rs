//! `Locator`: which elements of the page a step acts on, in the spirit of Playwright's locators:
//! by test id, visible text, ARIA role and accessible name, label or CSS, narrowed step by step.
//!
//! A locator is data, not a handle: it is resolved again in the page (by `locator.js`) at every
//! poll and every action, so it survives re-renders, and an action waits for it to match.

use std::fmt;

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
    Nth {
        index: i64,
    },
    HasText {
        value: String,
        negate: bool,
    },
}

/// Which elements of the page a step acts on or an assertion looks at.
///
/// Made by one of the constructors, then narrowed: [`Locator::locate`] (within),
/// [`Locator::nth`], [`Locator::first`], [`Locator::last`], [`Locator::filter_text`]. A `&str`
/// is a CSS selector, so `browser.click("#save")` and `browser.click(Locator::test_id("save"))`
/// both work. An action takes the first element matched, once it is visible and enabled.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Locator {
    parts: Vec<Part>,
}

impl Locator {
    fn of(part: Part) -> Locator {
        Locator { parts: vec![part] }
    }

    fn then(mut self, part: Part) -> Locator {
        self.parts.push(part);
        self
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
    pub fn text(text: impl Into<String>) -> Locator {
        Locator::of(Part::Text {
            value: normalized(text.into()),
            exact: false,
        })
    }

    /// The innermost elements whose whole text is `text` (case-sensitive, whitespace collapsed).
    pub fn text_exact(text: impl Into<String>) -> Locator {
        Locator::of(Part::Text {
            value: normalized(text.into()),
            exact: true,
        })
    }

    /// Elements of an ARIA role (`button`, `link`, `heading`, `textbox`, `checkbox`, `combobox`,
    /// `listitem`, …), explicit (`role="…"`) or implied by the tag; narrow by accessible name
    /// with [`Locator::name`]. Elements under `hidden` or `aria-hidden="true"` are left out.
    pub fn role(role: impl Into<String>) -> Locator {
        Locator::of(Part::Role {
            value: role.into(),
            name: None,
            exact: false,
        })
    }

    /// Form controls (and elements with an `aria-label`) whose label contains `text`: a
    /// `<label for>`, an enclosing `<label>`, `aria-label`, `aria-labelledby`, else the
    /// placeholder.
    pub fn label(text: impl Into<String>) -> Locator {
        Locator::of(Part::Label {
            value: normalized(text.into()),
            exact: false,
        })
    }

    /// For [`Locator::role`]: only elements whose accessible name contains `name` (its
    /// `aria-label`, its labels, its text, its `alt` or `title`).
    ///
    /// # Panics
    /// If the locator does not end with a role: a name narrows a role only.
    pub fn name(mut self, name: impl Into<String>) -> Locator {
        match self.parts.last_mut() {
            Some(Part::Role { name: slot, .. }) => *slot = Some(normalized(name.into())),
            _ => panic!("Locator::name narrows Locator::role; {self} does not end with a role"),
        }
        self
    }

    /// Match the last text, name or label exactly (case-sensitive, the whole string).
    ///
    /// # Panics
    /// If the locator does not end with a text, role or label.
    pub fn exact(mut self) -> Locator {
        match self.parts.last_mut() {
            Some(
                Part::Text { exact, .. } | Part::Role { exact, .. } | Part::Label { exact, .. },
            ) => *exact = true,
            _ => panic!("Locator::exact applies to a text, role or label; {self} ends otherwise"),
        }
        self
    }

    /// Elements matching `inner` inside the elements this locator matches.
    pub fn locate(mut self, inner: impl Into<Locator>) -> Locator {
        self.parts.extend(inner.into().parts);
        self
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

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
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
                Part::Nth { index } => write!(f, "nth({index})")?,
                Part::HasText { value, negate } => write!(
                    f,
                    "{} {value:?}",
                    if *negate { "without text" } else { "with text" }
                )?,
            }
        }
        Ok(())
    }
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

    #[test]
    #[should_panic(expected = "narrows Locator::role")]
    fn a_name_without_a_role_is_a_mistake_said_at_once() {
        let _ = Locator::css("button").name("Save");
    }
}
