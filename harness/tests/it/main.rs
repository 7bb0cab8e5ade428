//! The harness's own integration tests: one binary (see matklad's "delete cargo integration
//! tests"); nextest still runs every test in its own process.

mod browser;
mod child;
mod databases;
mod doctor;
mod embedded;
mod errors;
mod faults;
mod lifecycle;
mod ports;
mod security;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/it/migrations");
pub static BROKEN_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/it/broken_migrations");
