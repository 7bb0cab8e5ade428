#[harness::test]
fn a_test_that_is_not_async() {}

fn main() {}
