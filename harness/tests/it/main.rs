//! The harness's own integration tests: one binary (see matklad's "delete cargo integration
//! tests"); nextest still runs every test in its own process.

#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod attribute;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod browser;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod child;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod databases;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod doctor;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod embedded;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod errors;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod faults;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod lifecycle;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod ports;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod security;
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
mod services;

#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/it/migrations");
#[cfg(all(feature = "docker", feature = "browser", feature = "axum"))]
pub static BROKEN_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/it/broken_migrations");

/// The harness's own tests exercise every feature: built without them (`cargo test -p
/// e2e-harness` alone), this one skip says so instead of a silent pass.
#[cfg(not(all(feature = "docker", feature = "browser", feature = "axum")))]
#[test]
#[ignore = "the harness's own tests need --all-features (or the workspace's cargo nextest run)"]
fn the_harness_tests_need_every_feature() {}
