//! SeaORM's migrations, as `sea-orm-cli migrate generate` lays them out.

pub use sea_orm_migration::prelude::*;

mod m20240101_000001_create_posts;
mod m20240201_000001_add_published;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20240101_000001_create_posts::Migration),
            Box::new(m20240201_000001_add_published::Migration),
        ]
    }
}
