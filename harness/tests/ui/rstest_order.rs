// rstest's attributes below `#[harness::test]`: the harness's attribute expands first, and says
// how the two go together.
#[harness::test]
async fn with_a_case(#[case] path: String, db: harness::TestDatabase) {
    let _ = (path, db);
}

fn main() {}
