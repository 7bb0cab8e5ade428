use harness::TestDatabase;

#[harness::test]
async fn fixtures_are_bound_to_names((a, b): (TestDatabase, TestDatabase)) {
    let _ = (a, b);
}

fn main() {}
