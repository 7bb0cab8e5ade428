//! Posts: a small SeaORM 2 service, its schema made by SeaORM's own migrations in Rust.

pub mod migration;

pub mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        pub published: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

/// A draft: not published yet.
pub async fn draft(db: &DatabaseConnection, title: &str) -> Result<post::Model, DbErr> {
    post::ActiveModel {
        title: Set(title.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn publish(db: &DatabaseConnection, id: i32) -> Result<post::Model, DbErr> {
    let mut post: post::ActiveModel = post::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("post {id}")))?
        .into();
    post.published = Set(true);
    post.update(db).await
}

pub async fn published(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(post::Entity::find()
        .filter(post::Column::Published.eq(true))
        .order_by_asc(post::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.title)
        .collect())
}
