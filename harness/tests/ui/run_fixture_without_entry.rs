// A run fixture without `#[harness::run_fixture]`: no teardown entry, said at compile time.
#[derive(serde::Serialize, serde::Deserialize)]
struct Tenant {
    id: String,
}

impl harness::RunFixture for Tenant {
    async fn setup() -> Result<Self, harness::FixtureError> {
        Ok(Tenant { id: "t".into() })
    }
    async fn teardown(self) -> Result<(), harness::FixtureError> {
        Ok(())
    }
}

#[harness::test(migrations = false)]
async fn sees_the_tenant(tenant: harness::PerRun<Tenant>) {
    let _ = &tenant.id;
}

fn main() {}
