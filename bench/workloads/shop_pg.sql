-- Benchmark schema "shop" (PostgreSQL): several tables whose right indexes are known.
-- Loaded into a scratch database by bench/index_advisor.py and the index-advisor tests.
CREATE TABLE customers (
    id         bigint PRIMARY KEY,
    email      text NOT NULL,
    country    text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE products (
    id       bigint PRIMARY KEY,
    sku      text NOT NULL,
    category text NOT NULL,
    price    numeric(10, 2) NOT NULL
);
CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    status      text NOT NULL,
    is_gift     boolean NOT NULL,
    total       numeric(10, 2) NOT NULL,
    created_at  timestamptz NOT NULL,
    note        text
);
CREATE TABLE order_items (
    id         bigint PRIMARY KEY,
    order_id   bigint NOT NULL,
    product_id bigint NOT NULL,
    qty        int NOT NULL
);
CREATE TABLE events (
    id         bigint PRIMARY KEY,
    kind       text NOT NULL,
    payload    text,
    created_at timestamptz NOT NULL
);
CREATE TABLE currencies (code text PRIMARY KEY, name text NOT NULL, rate numeric NOT NULL);

INSERT INTO customers
SELECT g, 'user' || g || '@example.com', (ARRAY['de','fr','us','uk','es','it','pl','nl','se','jp'])[1 + g % 10] || (g % 20),
       'name ' || g, now() - (g || ' minutes')::interval
FROM generate_series(1, 20000) g;
INSERT INTO products
SELECT g, 'SKU-' || g, 'cat' || (g % 40), (g % 500) + 0.99 FROM generate_series(1, 5000) g;
INSERT INTO orders
SELECT g, 1 + (g * 7919) % 20000, (ARRAY['new','paid','shipped','done'])[1 + g % 4], g % 2 = 0,
       (g % 1000) + 0.5, now() - (g || ' seconds')::interval, CASE WHEN g % 3 = 0 THEN 'note ' || g END
FROM generate_series(1, 100000) g;
INSERT INTO order_items
SELECT g, 1 + (g * 31) % 100000, 1 + (g * 17) % 5000, 1 + g % 5 FROM generate_series(1, 200000) g;
INSERT INTO events
SELECT g, 'kind' || (g % 500), 'payload ' || g, now() - (g || ' seconds')::interval
FROM generate_series(1, 100000) g;
INSERT INTO currencies VALUES ('EUR', 'Euro', 1), ('USD', 'Dollar', 1.1), ('GBP', 'Pound', 0.9);
ANALYZE;
