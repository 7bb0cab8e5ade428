-- Benchmark schema, migration 9 of 15.
CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id bigint REFERENCES users (id) ON DELETE SET NULL,
    action text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_at_idx ON audit_events (organization_id, at DESC);
CREATE INDEX audit_events_detail_idx ON audit_events USING gin (detail);
