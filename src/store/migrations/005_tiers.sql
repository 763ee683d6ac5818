-- Value tiers (docs/segmentation.md): 头部 head / 腰部 waist / 尾部 tail, replaced whole by each `siyu tiers` run.
CREATE TABLE tier_scores (
  customer_id   TEXT NOT NULL,
  tier          TEXT NOT NULL,          -- head | waist | tail
  basis         TEXT NOT NULL,          -- monetary (paid in the window) | clv (clv_12m_fen from clv_scores)
  value_fen     BIGINT NOT NULL,
  as_of         DATE NOT NULL,
  computed_at   TIMESTAMPTZ NOT NULL
);
-- postgres-only
ALTER TABLE tier_scores ADD PRIMARY KEY (customer_id);
