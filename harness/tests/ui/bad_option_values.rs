static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

#[harness::test(migrator = MIGRATOR, migrations = "migrations")]
async fn one_source_of_migrations() {}

#[harness::test(timeout = "soon")]
async fn a_timeout_has_a_unit() {}

#[harness::test(flavor = "current_thread", worker_threads = 2)]
async fn threads_need_the_multi_thread_flavor() {}

#[harness::test(worker_threads = 2)]
async fn threads_name_their_flavor() {}

#[harness::test(timeout = 5, timeout = 10)]
async fn one_timeout() {}

fn main() {}
