-- Computed attributes (docs/segmentation.md): one JSON object per customer, replaced whole by `siyu attributes`,
-- and the brand's own attribute definitions next to the built-in ones.
CREATE TABLE customer_attributes (
  customer_id    TEXT NOT NULL,
  attributes     JSON NOT NULL,
  as_of          DATE NOT NULL,
  computed_at    TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE customer_attributes ADD PRIMARY KEY (customer_id);
CREATE TABLE attribute_definitions (
  name           TEXT PRIMARY KEY,
  zh             TEXT NOT NULL,
  en             TEXT NOT NULL,
  description    TEXT NOT NULL,
  type           TEXT NOT NULL,       -- number | text | date
  sql            TEXT NOT NULL,       -- an expression over o, i, e, u and $1 (see src/segment/attributes.ts)
  created_at     TIMESTAMPTZ NOT NULL
);
