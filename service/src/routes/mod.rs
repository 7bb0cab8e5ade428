//! The HTTP handlers, one file per resource.

mod health;
mod traces;
mod unmatched;

pub(crate) use health::{api_health, rediai_health};
pub(crate) use traces::{create_trace, get_trace, list_traces};
pub(crate) use unmatched::{method_not_allowed, not_found};
