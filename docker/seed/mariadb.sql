-- db-advisor demo seed (MariaDB / MySQL 8): problems planted in the current schema
-- (docker: MARIADB_DATABASE=advisor_demo; scripts/demo: advisor_demo; tests: a scratch schema).
-- Safe to run again: it drops only its own tables. Rows come from MariaDB's SEQUENCE engine.
-- Planted:                                        found by
--   audit_log without a primary key                mysql.schema.no_primary_key
--   customers: idx_email duplicated by idx_email2  mysql.index.duplicate
--   orders: idx_customer redundant with idx_customer_status
--   orders read by full scans (workload below)     mysql.index.missing, mysql.queries.full_scans

DROP TABLE IF EXISTS audit_log, orders, customers;

CREATE TABLE audit_log (
    at      timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    actor   varchar(64) NOT NULL,
    action  varchar(32) NOT NULL
) ENGINE = InnoDB;
INSERT INTO audit_log (actor, action)
SELECT CONCAT('user', seq % 500), ELT(1 + seq % 3, 'login', 'logout', 'checkout') FROM seq_1_to_5000;

CREATE TABLE customers (
    id      bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email   varchar(191) NOT NULL,
    country char(2) NOT NULL,
    KEY idx_email (email),
    KEY idx_email2 (email)
) ENGINE = InnoDB;
INSERT INTO customers (email, country)
SELECT CONCAT('customer', seq, '@example.com'), ELT(1 + seq % 4, 'DE', 'FR', 'US', 'JP') FROM seq_1_to_20000;

CREATE TABLE orders (
    id          bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id bigint unsigned NOT NULL,
    status      varchar(16) NOT NULL,
    total       decimal(12, 2) NOT NULL,
    KEY idx_customer (customer_id),
    KEY idx_customer_status (customer_id, status)
) ENGINE = InnoDB;
INSERT INTO orders (customer_id, status, total)
SELECT 1 + seq % 20000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'refunded'), (seq % 997) * 1.5
FROM seq_1_to_100000;
ANALYZE TABLE audit_log, customers, orders;

-- workload: a report filtering orders by status, which no index serves
SELECT COUNT(*) FROM orders WHERE status = 'refunded' AND total > 100;
SELECT COUNT(*) FROM orders WHERE status = 'refunded' AND total > 200;
SELECT COUNT(*) FROM orders WHERE status = 'refunded' AND total > 300;
SELECT COUNT(*) FROM orders WHERE status = 'paid' AND total > 100;
SELECT COUNT(*) FROM orders WHERE status = 'paid' AND total > 200;
SELECT COUNT(*) FROM orders WHERE status = 'shipped' AND total > 100;
SELECT SUM(total) FROM orders WHERE status = 'new';
SELECT SUM(total) FROM orders WHERE status = 'paid';
