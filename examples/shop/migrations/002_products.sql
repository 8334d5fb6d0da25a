-- Product catalogue served by GET /api/v1/products.
CREATE TABLE products (
    sku         text PRIMARY KEY,
    name        text NOT NULL,
    price_cents int  NOT NULL
);

INSERT INTO products (sku, name, price_cents) VALUES
    ('mug-001',    'Enamel mug',          1200),
    ('tee-002',    'Logo T-shirt',        2500),
    ('cap-003',    'Baseball cap',        1800),
    ('sticker-004','Sticker pack',         400);
