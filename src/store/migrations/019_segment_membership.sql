-- Segment membership as intervals (docs/segmentation.md, "Segment builder"): a customer is in a segment from the day
-- `entered_on` up to the day before `left_on` (NULL: still a member as of the segment's latest refresh). A refresh
-- writes only who entered and who left, where segment_snapshots kept every member again on every refreshed day.
CREATE TABLE segment_membership (
  customer_id    TEXT NOT NULL,
  segment        TEXT NOT NULL,
  entered_on     DATE NOT NULL,
  left_on        DATE
);
-- postgres-only
ALTER TABLE segment_membership ADD PRIMARY KEY (customer_id, segment, entered_on);
-- One row per segment and refreshed day: the members then, and how many entered and left that day.
CREATE TABLE segment_refreshes (
  segment        TEXT NOT NULL,
  as_of          DATE NOT NULL,
  members        BIGINT NOT NULL,
  entered        BIGINT NOT NULL,
  exited         BIGINT NOT NULL,
  refreshed_at   TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE segment_refreshes ADD PRIMARY KEY (segment, as_of);
-- The snapshots become intervals: a customer's run of consecutive refreshed days as a member (an island) starts an
-- interval on its first day and ends it on the next refreshed day after its last, if there is one.
INSERT INTO segment_membership (customer_id, segment, entered_on, left_on)
WITH days AS (
  SELECT segment, as_of, row_number() OVER (PARTITION BY segment ORDER BY as_of) AS n, lead(as_of) OVER (PARTITION BY segment ORDER BY as_of) AS next_day
  FROM (SELECT DISTINCT segment, as_of FROM segment_snapshots) d
), islands AS (
  SELECT s.customer_id, s.segment, s.as_of, d.next_day, d.n - row_number() OVER (PARTITION BY s.segment, s.customer_id ORDER BY s.as_of) AS island
  FROM segment_snapshots s JOIN days d ON d.segment = s.segment AND d.as_of = s.as_of
)
SELECT customer_id, segment, min(as_of), CASE WHEN count(next_day) < count(*) THEN NULL ELSE max(next_day) END
FROM islands GROUP BY customer_id, segment, island;
INSERT INTO segment_refreshes (segment, as_of, members, entered, exited, refreshed_at)
SELECT d.segment, d.as_of, d.members,
       (SELECT count(*) FROM segment_membership m WHERE m.segment = d.segment AND m.entered_on = d.as_of),
       (SELECT count(*) FROM segment_membership m WHERE m.segment = d.segment AND m.left_on = d.as_of),
       coalesce((SELECT s.refreshed_at FROM segments s WHERE s.name = d.segment), now())
FROM (SELECT segment, as_of, count(*) AS members FROM segment_snapshots GROUP BY segment, as_of) d;
DROP TABLE segment_snapshots;
