#[harness::test]
async fn a_test_returns_no_number() -> u32 {
    1
}

fn main() {}
