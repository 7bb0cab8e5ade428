// A name narrows a role only, and `exact` a role, text or label: on another locator, neither is a
// method (they used to panic when the test ran).
use harness::browser::Locator;

fn main() {
    let _ = Locator::css("button").name("Save");
    let _ = Locator::role("button").nth(1).exact();
}
