//! The harness's own integration tests: one binary (see matklad's "delete cargo integration
//! tests"); nextest still runs every test in its own process.

/// Every item of the suite, under the features it needs.
macro_rules! with_every_feature {
    ($($item:item)*) => {
        $(
            #[cfg(all(
                feature = "docker",
                feature = "browser",
                feature = "axum",
                feature = "sqlx-0.8"
            ))]
            $item
        )*
    };
}

with_every_feature! {
    mod attribute;
    mod browser;
    mod cases;
    mod child;
    mod databases;
    mod doctor;
    mod embedded;
    mod errors;
    mod faults;
    mod lifecycle;
    mod migrations;
    mod ports;
    mod run_fixtures;
    mod security;
    mod services;
    mod warm;

    pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/it/migrations");
    pub static BROKEN_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/it/broken_migrations");
}

/// The harness's own tests exercise every feature: built without them (`cargo test -p
/// e2e-harness` alone), this one skip says so instead of a silent pass.
#[cfg(not(all(
    feature = "docker",
    feature = "browser",
    feature = "axum",
    feature = "sqlx-0.8"
)))]
#[test]
#[ignore = "the harness's own tests need --all-features (or the workspace's cargo nextest run)"]
fn the_harness_tests_need_every_feature() {}
