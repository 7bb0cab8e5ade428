//! Integration tests of tunix-rt: the real router served in-process on 127.0.0.1 and driven over
//! HTTP with reqwest, each test on its own harness database; plus the compiled binary as a child.
//!
//! One test binary (rather than one per file) keeps link times down; nextest still runs every
//! test in its own process.

mod binary;
mod cors;
mod database_outage;
mod e2e;
mod get_trace;
mod health;
mod hundred;
mod list_traces;
mod load;
mod page;
mod post_trace;
mod properties;
mod rediai;
mod rediai_stub;
mod tcp_proxy;
mod test_app;

/// The services `harness up` starts for `cargo run` and sqlx's `query!`: tunix-rt's database,
/// migrated as its tests' (`cargo run -p e2e-harness -- up`).
#[harness::dev_services]
fn tunix_rt() -> harness::dev::DevServices {
    harness::dev::DevServices::new().database("DATABASE_URL", "tunix_rt", &tunix_rt::MIGRATOR)
}
