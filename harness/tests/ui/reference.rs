use harness::TestDatabase;

#[harness::test]
async fn fixtures_are_taken_by_value(db: &TestDatabase) {
    let _ = db;
}

fn main() {}
