// `sqlx::migrate!` embeds service/migrations at compile time but cannot tell cargo to watch the
// folder, so a new or edited migration would otherwise not trigger a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
