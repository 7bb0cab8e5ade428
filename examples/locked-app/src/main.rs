//! Only its lockfile matters: see Cargo.toml.
fn main() {}
