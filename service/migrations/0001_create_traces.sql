-- The payload is `json` rather than `jsonb`: `json` keeps the text as stored (key order, number
-- spelling, escapes), which is what GET /api/traces/{id} promises to return.
CREATE TABLE traces (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    trace_version varchar(64) NOT NULL,
    payload json NOT NULL
);
