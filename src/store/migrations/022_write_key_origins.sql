-- The browser origins each write key accepts (docs/architecture.md#ingest-path): a request carrying an Origin header
-- is served only when its write key lists that origin, or '*'. A key with no rows here serves no browser page.
-- Origins are stored normalised (lower-case scheme and host, no default port, no trailing slash), as browsers send them.
CREATE TABLE write_key_origins (
  key_id  TEXT NOT NULL,
  origin  TEXT NOT NULL
);
-- postgres-only
ALTER TABLE write_key_origins ADD PRIMARY KEY (key_id, origin);
