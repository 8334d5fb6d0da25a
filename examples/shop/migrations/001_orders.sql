-- Orders placed through POST /api/v1/orders.
CREATE TABLE orders (
    id         bigserial PRIMARY KEY,
    sku        text        NOT NULL,
    quantity   int         NOT NULL CHECK (quantity > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
