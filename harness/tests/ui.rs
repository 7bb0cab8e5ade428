//! `#[harness::test]` on signatures it does not accept: each fails to compile with a message that
//! says what is accepted (compared with the `.stderr` files beside the cases; regenerate them with
//! `TRYBUILD=overwrite` after a deliberate change).
//!
//! rustc lists the types that implement `Fixture`, and which do depends on the features: the
//! expected messages are those of the workspace's build (`cargo nextest run --workspace`), whose
//! members turn on the features below and no other adapter.

#[cfg_attr(
    not(all(
        feature = "docker",
        feature = "browser",
        feature = "axum",
        feature = "sqlx-0.8",
        feature = "tokio-postgres-0.7",
        feature = "deadpool-postgres-0.14",
        not(feature = "sqlx-0.9"),
        not(feature = "diesel-async-0.10")
    )),
    ignore = "the expected messages are those of the workspace's build (cargo nextest run --workspace)"
)]
#[test]
fn wrong_signatures_fail_to_compile_and_say_what_is_accepted() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
