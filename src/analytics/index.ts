// The analytics domain's public API: the overview of `siyu stats`, and the commerce analytics behind `siyu report`
// and /v1/analytics (docs/analytics.md).
export { computeOverview, type Overview } from './overview.ts';
export { formatOverview } from './format.ts';
export { proportionUplift, sampleSizePerGroup, welchUplift, wilsonInterval, type Interval, type MeanUplift, type Moments, type ProportionUplift } from './uplift.ts';
export { definitionsMarkdown, KPI_DEFINITIONS, KPI_KEYS, listDefinitions, type KpiKey, type MetricDefinition, type MetricUnit } from './definitions.ts';
export { computeKpis, type KpiMetric, type KpiOptions, type KpiReport } from './kpis.ts';
export { computeBreakdown, DIMENSIONS, type BreakdownOptions, type BreakdownReport, type BreakdownRow, type Dimension } from './breakdown.ts';
export { computeRetention, DAY_N, type RetentionBasis, type RetentionOptions, type RetentionReport } from './retention.ts';
export { computeLtvCohorts, type CohortOptions, type LtvCohortReport } from './cohorts.ts';
export { computeFunnel, EVENT_CHANNEL, type FilterOp, type FunnelOptions, type FunnelReport, type FunnelStep } from './funnel.ts';
export type { CohortGrain } from './cohort-sql.ts';
export type { Bucket, Comparison, Period } from './period.ts';
export { BreakdownQuery, BreakdownResponse, CohortQuery, CohortResponse, DefinitionsResponse, FunnelBody, FunnelResponse, KpiQuery, KpiResponse, RetentionQuery, RetentionResponse } from './schemas.ts';
export { breakdownRequest, cohortsRequest, definitionsRequest, funnelRequest, kpisRequest, retentionRequest } from './requests.ts';
export { formatBreakdown, formatCohorts, formatDefinitions, formatFunnel, formatKpiSummary, formatKpis, formatRetention } from './report-format.ts';
