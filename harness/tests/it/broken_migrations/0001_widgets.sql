CREATE TABLE widgets (id bigserial PRIMARY KEY);
