/**
 * The natural keys of the customer-scoped tables that carry no key constraint on DuckDB (see migrations/001_core.sql):
 * the large fact tables, score tables that are replaced whole on each run, and history tables. Code that copies or upserts their rows
 * matches on these columns instead of relying on ON CONFLICT. Every other table keeps its primary key on both engines.
 */
export const FACT_TABLE_KEYS: Readonly<Record<string, readonly string[]>> = {
  events: ['customer_id', 'message_id'],
  orders: ['customer_id', 'order_id'],
  order_items: ['customer_id', 'order_id', 'line'],
  clv_scores: ['customer_id'],
  clv_histories: ['customer_id'],
  rfm_score_values: ['customer_id'],
  tier_scores: ['customer_id'],
  // A merged profile keeps the survivor's list, or takes the loser's when it has none.
  recommendations: ['customer_id'],
  replenishment: ['customer_id', 'sku'],
  churn_scores: ['customer_id'],
  lifecycle_stage_values: ['customer_id'],
  customer_attribute_values: ['customer_id'],
  customer_clusters: ['customer_id'],
  customer_tags: ['customer_id', 'tag'],
  tag_history: ['customer_id', 'tag', 'action', 'changed_at'],
  // Intervals: the loser's membership of a segment follows only where the survivor has none, so none overlap.
  segment_membership: ['customer_id', 'segment'],
  lifecycle_history: ['customer_id', 'changed_on', 'to_stage'],
  layer_history: ['customer_id', 'layer', 'changed_on'],
  event_queue: ['customer_id', 'message_id'],
  // A merged profile keeps the survivor's passes through a journey, and takes the other's (with their steps) only for
  // journeys the survivor has never entered: so it never holds two live instances of one journey.
  journey_instances: ['customer_id', 'journey_id'],
  journey_steps: ['customer_id', 'journey_id'],
  outbound_messages: ['customer_id', 'message_id'],
  outbound_message_states: ['customer_id', 'message_id', 'changed_at', 'state'],
};
