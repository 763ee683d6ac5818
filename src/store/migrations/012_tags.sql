-- Tags (docs/segmentation.md, "Tags"): definitions, who carries which tag, and every add and remove.
CREATE TABLE tag_definitions (
  name           TEXT PRIMARY KEY,
  kind           TEXT NOT NULL,       -- rule (a segment definition, refreshed) | manual (set by people or uploads)
  definition     JSON,                -- rule: the segment definition
  description    TEXT,
  created_at     TIMESTAMPTZ NOT NULL
);
CREATE TABLE customer_tags (
  customer_id    TEXT NOT NULL,
  tag            TEXT NOT NULL,
  source         TEXT NOT NULL,       -- rule | manual
  set_by         TEXT NOT NULL,       -- who or what set it: rule:<tag>, a user name, upload:<file>
  set_at         TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE customer_tags ADD PRIMARY KEY (customer_id, tag);
CREATE TABLE tag_history (
  customer_id    TEXT NOT NULL,
  tag            TEXT NOT NULL,
  action         TEXT NOT NULL,       -- added | removed
  changed_by     TEXT NOT NULL,
  changed_at     TIMESTAMPTZ NOT NULL
);
