-- Saved segments and their membership snapshots (docs/segmentation.md, "Segment builder").
CREATE TABLE segments (
  name           TEXT PRIMARY KEY,
  description    TEXT,
  definition     JSON NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL,
  updated_at     TIMESTAMPTZ NOT NULL
);
-- Members of a segment as of each refresh; Segment Entered / Exited events record the differences.
CREATE TABLE segment_snapshots (
  customer_id    TEXT NOT NULL,
  segment        TEXT NOT NULL,
  as_of          DATE NOT NULL
);
-- postgres-only
ALTER TABLE segment_snapshots ADD PRIMARY KEY (customer_id, segment, as_of);
