#[harness::test]
#[test]
async fn the_attribute_makes_the_test() {}

fn main() {}
