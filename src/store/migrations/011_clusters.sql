-- Behavioural clusters (docs/segmentation.md, "Clusters"): replaced whole by `siyu cluster`.
CREATE TABLE customer_clusters (
  customer_id    TEXT NOT NULL,
  cluster        INTEGER NOT NULL,
  name           TEXT NOT NULL,       -- e.g. 高频低客单: the two most distinctive features
  as_of          DATE NOT NULL,
  computed_at    TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE customer_clusters ADD PRIMARY KEY (customer_id);
