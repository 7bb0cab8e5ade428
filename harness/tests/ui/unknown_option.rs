#[harness::test(migraitons = "migrations")]
async fn a_misspelt_option() {}

fn main() {}
