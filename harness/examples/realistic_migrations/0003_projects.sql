-- Benchmark schema, migration 3 of 15.
CREATE TABLE projects (
    id bigserial PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug text NOT NULL,
    title text NOT NULL,
    archived boolean NOT NULL DEFAULT false,
    UNIQUE (organization_id, slug)
);
CREATE TABLE project_members (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user_id_idx ON project_members (user_id);
