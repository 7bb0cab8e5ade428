CREATE TABLE notebooks (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);
INSERT INTO notebooks (name) VALUES ('inbox');
