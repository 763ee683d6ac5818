export { computeOverview, type Overview } from './overview.ts';
export { formatOverview } from './format.ts';
