//! A hundred short API tests of one shape: a trace stored and read back, each on its own fresh
//! database with the service in process. They are real tests (each can fail), and together the
//! suite the `api_suite` benchmark times (`cargo run -p e2e-harness --example api_suite`): what a
//! short test costs, process start to exit, when a run has a hundred of them.

use crate::test_app::{TestApp, trace_with_prompt};
use harness::sqlx_0_8::TestDatabaseExt as _;

macro_rules! round_trips {
    ($($name:ident)*) => {$(
        #[harness::test]
        async fn $name(app: TestApp) -> anyhow::Result<()> {
            let prompt = concat!("round trip ", stringify!($name));
            let id = app.create(&trace_with_prompt(prompt)).await?;
            let fetched: serde_json::Value =
                app.get(&format!("/api/traces/{id}")).await?.json().await?;
            anyhow::ensure!(fetched["payload"]["prompt"] == prompt, "read back: {fetched}");
            let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM traces")
                .fetch_one(app.db.pool())
                .await?;
            anyhow::ensure!(stored == 1, "{stored} traces in a fresh database");
            Ok(())
        }
    )*};
}

round_trips!(t000 t001 t002 t003 t004 t005 t006 t007 t008 t009 t010 t011 t012 t013 t014 t015 t016 t017 t018 t019 t020 t021 t022 t023 t024 t025 t026 t027 t028 t029 t030 t031 t032 t033 t034 t035 t036 t037 t038 t039 t040 t041 t042 t043 t044 t045 t046 t047 t048 t049 t050 t051 t052 t053 t054 t055 t056 t057 t058 t059 t060 t061 t062 t063 t064 t065 t066 t067 t068 t069 t070 t071 t072 t073 t074 t075 t076 t077 t078 t079 t080 t081 t082 t083 t084 t085 t086 t087 t088 t089 t090 t091 t092 t093 t094 t095 t096 t097 t098 t099);
