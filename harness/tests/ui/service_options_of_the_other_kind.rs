// A container's option on a binary: not a method of a binary's builder.
fn main() {
    let _ = harness::Service::binary("redis-server")
        .listen_arg("--port")
        .port(6379);
}
