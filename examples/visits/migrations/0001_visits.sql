CREATE TABLE visits (
    id bigserial PRIMARY KEY,
    slug text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_visits_slug ON visits (slug);
