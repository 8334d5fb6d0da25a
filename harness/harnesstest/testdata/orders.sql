CREATE TABLE orders (id bigserial PRIMARY KEY, created timestamptz NOT NULL DEFAULT now());
