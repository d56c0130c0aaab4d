-- Webhook deliveries, written in the transaction that records their signal
-- and drained by the sender: pending, delivered or dead.
CREATE TABLE IF NOT EXISTS outbox (
    signal_id VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    status VARCHAR NOT NULL,          -- pending, delivered, dead
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt TIMESTAMP NOT NULL,
    last_status INTEGER,
    last_error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
