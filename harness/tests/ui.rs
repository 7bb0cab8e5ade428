//! `#[harness::test]` on signatures it does not accept: each fails to compile with a message that
//! says what is accepted (compared with the `.stderr` files beside the cases; regenerate them with
//! `TRYBUILD=overwrite` after a deliberate change).
//!
//! rustc lists the types that implement `Fixture`, and which do depends on the features: the
//! expected messages are those of a build with every feature, as the workspace's tests build it.

#[cfg_attr(
    not(all(
        feature = "docker",
        feature = "browser",
        feature = "axum",
        feature = "sqlx-0.8"
    )),
    ignore = "the expected messages are those of a build with every feature (--all-features)"
)]
#[test]
fn wrong_signatures_fail_to_compile_and_say_what_is_accepted() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
