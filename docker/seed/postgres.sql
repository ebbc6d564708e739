-- db-advisor demo seed (PostgreSQL): a small shop with realistic problems planted.
-- Runs in the current database (docker: POSTGRES_DB=advisor_demo; scripts/demo: advisor_demo;
-- the tests: a scratch database). Safe to run again: it drops only its own tables.
-- Planted:                                   found by
--   audit_log without a primary key           pg.schema.no_primary_key
--   customers_email_idx2 duplicates _idx      pg.index.duplicate
--   orders.customer_id FK without an index    pg.index.fk_missing
--   orders_note_idx (> 10 MB) never scanned   pg.index.unused
--   orders read by sequential scans           pg.index.missing (workload at the end)
--   sessions: autovacuum off, 60% dead rows   pg.maintenance.autovacuum_disabled_table, pg.maintenance.bloat

CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
DROP TABLE IF EXISTS audit_log, orders, customers, sessions;

CREATE TABLE audit_log (
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    payload jsonb
);
INSERT INTO audit_log (actor, action, payload)
SELECT 'user' || (g % 500), (ARRAY['login', 'logout', 'checkout'])[1 + g % 3], jsonb_build_object('n', g)
FROM generate_series(1, 5000) g;

CREATE TABLE customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    country    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customers (email, country)
SELECT 'customer' || g || '@example.com', (ARRAY['DE', 'FR', 'US', 'JP'])[1 + g % 4]
FROM generate_series(1, 20000) g;
CREATE INDEX customers_email_idx ON customers (email);
CREATE INDEX customers_email_idx2 ON customers (email);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL,
    status      text NOT NULL,
    total       numeric(12, 2) NOT NULL,
    note        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO orders (customer_id, status, total, note)
SELECT 1 + g % 20000, (ARRAY['new', 'paid', 'shipped', 'refunded'])[1 + g % 4], (g % 997) * 1.5,
       'gift wrap requested by customer, reference ' || md5(g::text)
FROM generate_series(1, 150000) g;
-- the foreign key is added after the load (checked once, not per row); no index backs it
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE INDEX orders_note_idx ON orders (note);

CREATE TABLE sessions (
    id      bigint PRIMARY KEY,
    user_id bigint NOT NULL,
    data    text NOT NULL
) WITH (autovacuum_enabled = false);
INSERT INTO sessions SELECT g, g % 1000, repeat('x', 100) FROM generate_series(1, 50000) g;
DELETE FROM sessions WHERE id % 10 < 6;

ANALYZE audit_log, customers, orders;

-- workload: the report that filters orders by status, with no index to help it
DO $$
BEGIN
    FOR i IN 1..12 LOOP
        PERFORM count(*) FROM orders WHERE status = 'refunded' AND total > 100;
    END LOOP;
END $$;
