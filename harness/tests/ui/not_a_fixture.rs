#[harness::test]
async fn a_string_is_no_fixture(name: String) {
    let _ = name;
}

fn main() {}
