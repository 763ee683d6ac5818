-- Computed attributes move from one JSON object per customer to one typed column per attribute (number: DOUBLE
-- PRECISION, text: TEXT, date: DATE): segments, exports and incremental updates read the columns they need instead
-- of the whole object. The attribute columns are added and dropped by Siyu as attributes are defined
-- (src/segment/attributes.ts); the values are recomputed by the next `siyu attributes compute` or `siyu layers compute`.
DROP TABLE customer_attributes;
CREATE TABLE customer_attributes (
  customer_id    TEXT NOT NULL,
  as_of          DATE NOT NULL,
  computed_at    TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE customer_attributes ADD PRIMARY KEY (customer_id);
