-- What changed since a time: `siyu layers update` finds its customers by orders.updated_at and events.received_at,
-- and the layers check that the attributes are current by the same columns. DuckDB's zone maps already skip the
-- row groups of older rows (rows arrive in time order); PostgreSQL needs an index, or it scans every order.
-- postgres-only
CREATE INDEX orders_updated_at ON orders (updated_at);
-- postgres-only
CREATE INDEX events_received_at ON events (received_at);
