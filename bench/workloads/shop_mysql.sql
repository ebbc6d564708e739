-- Benchmark schema "shop" (MySQL/MariaDB), the same shape as shop_pg.sql.
CREATE TABLE customers (id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, country VARCHAR(10) NOT NULL,
                        name VARCHAR(100) NOT NULL, created_at DATETIME NOT NULL) ENGINE=InnoDB;
CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, status VARCHAR(10) NOT NULL,
                     is_gift TINYINT NOT NULL, total DECIMAL(10,2) NOT NULL, created_at DATETIME NOT NULL,
                     note VARCHAR(100)) ENGINE=InnoDB;
CREATE TABLE order_items (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, product_id BIGINT NOT NULL,
                          qty INT NOT NULL) ENGINE=InnoDB;
CREATE TABLE events (id BIGINT PRIMARY KEY, kind VARCHAR(20) NOT NULL, created_at DATETIME NOT NULL) ENGINE=InnoDB;
CREATE TABLE products (id BIGINT PRIMARY KEY, sku VARCHAR(20) NOT NULL, category VARCHAR(10) NOT NULL,
                       price DECIMAL(10,2) NOT NULL) ENGINE=InnoDB;
CREATE TABLE currencies (code CHAR(3) PRIMARY KEY, name VARCHAR(20) NOT NULL, rate DECIMAL(10,4)) ENGINE=InnoDB;
INSERT INTO customers SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('c', seq % 200), CONCAT('name ', seq),
       NOW() - INTERVAL seq MINUTE FROM seq_1_to_20000;
INSERT INTO orders SELECT seq, 1 + (seq * 7919) % 20000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'done'),
       seq % 2, (seq % 1000) + 0.5, NOW() - INTERVAL seq SECOND, IF(seq % 3 = 0, CONCAT('note ', seq), NULL)
FROM seq_1_to_60000;
INSERT INTO order_items SELECT seq, 1 + (seq * 31) % 60000, 1 + (seq * 17) % 5000, 1 + seq % 5 FROM seq_1_to_100000;
INSERT INTO events SELECT seq, CONCAT('kind', seq % 500), NOW() - INTERVAL seq SECOND FROM seq_1_to_60000;
INSERT INTO products SELECT seq, CONCAT('SKU-', seq), CONCAT('cat', seq % 40), (seq % 500) + 0.99 FROM seq_1_to_5000;
INSERT INTO currencies VALUES ('EUR', 'Euro', 1), ('USD', 'Dollar', 1.1), ('GBP', 'Pound', 0.9);
ANALYZE TABLE customers, orders, order_items, events, products, currencies;
