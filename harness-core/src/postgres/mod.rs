//! Postgres servers for tests, from three backends behind one API.

#[cfg(feature = "docker")]
mod docker;
mod error;
mod external;
pub(crate) mod local;
mod server;

#[cfg(feature = "docker")]
pub(crate) use docker::image_hint;
pub use error::{Attempt, ProvisionError};
pub(crate) use server::server_says;
pub use server::{Backend, PostgresServer};
