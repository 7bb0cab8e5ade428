CREATE TABLE notes (
    id bigserial PRIMARY KEY,
    notebook_id int NOT NULL REFERENCES notebooks (id),
    text text NOT NULL CHECK (length(text) BETWEEN 1 AND 500)
);
