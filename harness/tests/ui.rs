//! `#[harness::test]` on signatures it does not accept: each fails to compile with a message that
//! says what is accepted (compared with the `.stderr` files beside the cases; regenerate them with
//! `TRYBUILD=overwrite` after a deliberate change).
//!
//! rustc lists the types that implement `Fixture`, and which do depends on the features: the
//! expected messages are those of the workspace's build (`cargo nextest run --workspace`), whose
//! members turn on `docker`, `browser`, `axum`, `sqlx-0.8`, `tokio-postgres-0.7` and
//! `deadpool-postgres-0.14`, and no other adapter.
//!
//! Ignored by default: trybuild builds every dependency again in a target of its own (minutes on
//! a fresh clone, more than the rest of the suite), which a newcomer's first `cargo nextest run`
//! should not pay. CI runs it as a stage of its own:
//! `cargo nextest run --workspace --run-ignored only -E 'binary(ui)'`.

#[ignore = "compile-fail checks, slow on a fresh clone, of the workspace's build: cargo nextest run --workspace --run-ignored only -E 'binary(ui)'"]
#[test]
fn wrong_signatures_fail_to_compile_and_say_what_is_accepted() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
