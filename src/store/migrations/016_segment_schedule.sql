-- Scheduled segment refresh (docs/segmentation.md, "Segment builder"): how often `siyu serve` refreshes a saved
-- segment on its own (hourly | daily | weekly; NULL: only on demand), and when it was last refreshed by anyone.
ALTER TABLE segments ADD COLUMN refresh_every TEXT;
ALTER TABLE segments ADD COLUMN refreshed_at TIMESTAMPTZ;
