-- Benchmark schema, migration 10 of 15.
CREATE TABLE webhooks (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    url text NOT NULL,
    secret text NOT NULL,
    active boolean NOT NULL DEFAULT true
);
CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    status_code int,
    delivered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_webhook_id_idx ON webhook_deliveries (webhook_id, delivered_at DESC);
