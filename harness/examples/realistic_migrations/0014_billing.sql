-- Benchmark schema, migration 14 of 15.
CREATE TABLE plans (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    monthly_cents int NOT NULL CHECK (monthly_cents >= 0)
);
CREATE TABLE subscriptions (
    organization_id bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    plan_id int NOT NULL REFERENCES plans (id),
    renews_on date NOT NULL
);
CREATE TABLE invoices (
    id bigserial PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    total_cents bigint NOT NULL,
    issued_on date NOT NULL
);
CREATE INDEX invoices_org_issued_idx ON invoices (organization_id, issued_on DESC);
INSERT INTO plans (name, monthly_cents) VALUES ('free', 0), ('team', 2900), ('enterprise', 19900);
