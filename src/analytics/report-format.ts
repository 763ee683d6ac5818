// Plain-text tables of the analytics reports for `siyu report` (CJK characters count two columns).
import { formatNumber as n, padDisplay as pad } from '../core/text.ts';
import type { BreakdownReport } from './breakdown.ts';
import type { LtvCohortReport } from './cohorts.ts';
import type { MetricDefinition, MetricUnit } from './definitions.ts';
import type { FunnelReport, FunnelStepResult } from './funnel.ts';
import type { KpiReport } from './kpis.ts';
import type { RetentionReport } from './retention.ts';

const money = (fen: number | null, currency: string): string =>
  fen === null ? '-' : `${currency === 'CNY' ? '¥' : `${currency} `}${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const percent = (share: number | null, digits = 1): string => (share === null ? '-' : `${(share * 100).toFixed(digits)}%`);
/** Terminal columns of a text, CJK characters counting two (as padDisplay counts them). */
const columns = (text: string): number => [...text].reduce((w, ch) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);
const right = (text: string, width: number): string => ' '.repeat(Math.max(0, width - columns(text))) + text;

function value(v: number | null, unit: MetricUnit, currency: string): string {
  if (unit === 'fen') return money(v, currency);
  if (unit === 'ratio') return percent(v);
  return v === null ? '-' : n(v);
}

/** A sparkline of a series, nulls as spaces. */
function sparkline(values: (number | null)[]): string {
  const present = values.filter((v): v is number => v !== null);
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  return values.map((v) => (v === null ? ' ' : '▁▂▃▄▅▆▇█'[hi > lo ? Math.round(((v - lo) / (hi - lo)) * 7) : 3])).join('');
}

export function formatKpis(r: KpiReport): string {
  const head = `${r.period.from} … ${r.period.to} (to excluded, ${r.timezone}) against ${r.comparison.from} … ${r.comparison.to} (${r.comparison.kind}); money in ${r.currency}`;
  const rows = r.metrics.map((m) => {
    const change = m.unit === 'ratio' ? (m.change === null ? '-' : `${m.change >= 0 ? '+' : ''}${(m.change * 100).toFixed(1)} pt`) : m.changeRatio === null ? '-' : `${m.changeRatio >= 0 ? '+' : ''}${(m.changeRatio * 100).toFixed(1)}%`;
    return `${pad(m.definition.en.name, 28)}${right(value(m.value, m.unit, r.currency), 16)}${right(value(m.previous, m.unit, r.currency), 16)}${right(change, 10)}  ${sparkline(m.series.map((p) => p.value))}`;
  });
  return [head, '', `${pad('metric', 28)}${right('value', 16)}${right('previous', 16)}${right('change', 10)}  by ${r.bucket}`, ...rows, '', `definitions: siyu report definitions`].join('\n');
}

export function formatBreakdown(r: BreakdownReport): string {
  const widths = Math.max(8, ...r.rows.map((row) => columns(row.value))) + 2;
  const header = `${pad(r.by, widths)}${right('GMV', 16)}${right('share', 8)}${right('orders', 9)}${right('buyers', 9)}${right('AOV', 12)}${right('per buyer', 12)}${right('repeat', 8)}${right('new', 7)}`;
  const rows = r.rows.map(
    (row) =>
      `${pad(row.value, widths)}${right(money(row.gmvFen, r.currency), 16)}${right(percent(row.gmvShare), 8)}${right(n(row.orders), 9)}${right(n(row.buyers), 9)}${right(money(row.aovFen, r.currency), 12)}${right(money(row.spendPerBuyerFen, r.currency), 12)}${right(percent(row.repeatRate), 8)}${right(n(row.newBuyers), 7)}`,
  );
  const note = r.membershipDay ? ` (segment membership on ${r.membershipDay}; a customer in several segments counts in each)` : '';
  return [`${r.period.from} … ${r.period.to} (to excluded, ${r.timezone}) by ${r.by}${note}`, '', header, ...rows].join('\n');
}

export function formatRetention(r: RetentionReport): string {
  const periods = Math.max(0, ...r.cohorts.map((c) => c.periods.length));
  const header = `${pad(`${r.grain} cohort`, 14)}${right('customers', 10)}${Array.from({ length: periods }, (_, k) => right(`+${k}`, 7)).join('')}`;
  const rows = r.cohorts.map((c) => `${pad(c.start, 14)}${right(n(c.customers), 10)}${c.periods.map((p) => right(`${percent(p.share, 0)}${p.isComplete ? '' : '*'}`, 7)).join('')}`);
  const dn = r.dayN.map((d) => `D${d.days} ${percent(d.rate)} (${n(d.returned)} of ${n(d.eligible)})`).join('   ');
  return [
    `retention of first-purchase cohorts by ${r.grain}, returning on ${r.basis === 'events' ? 'a purchase or any event' : 'a purchase'}; data to ${r.dataEnd ?? '-'} (${r.timezone}); * = period not over`,
    '',
    header,
    ...rows,
    '',
    `returned within N days: ${dn}`,
  ].join('\n');
}

export function formatCohorts(r: LtvCohortReport): string {
  const months = Math.max(0, ...r.cohorts.map((c) => c.cells.length));
  const header = `${pad('cohort', 9)}${right('customers', 10)}${Array.from({ length: months }, (_, k) => right(`+${k}`, 10)).join('')}`;
  const mark = { observed: ' ', partial: '*', forecast: '~' } as const;
  const rows = r.cohorts.map((c) => `${pad(c.month, 9)}${right(n(c.customers), 10)}${c.cells.map((cell) => right(`${n(cell.valueFen / 100)}${mark[cell.state]}`, 10)).join('')}`);
  const basis = r.forecast ? `~ = forecast by ${r.forecast.model} fit ${r.forecast.fitId.slice(0, 8)} (calibration end ${r.forecast.calibrationEnd})` : `no forecast: ${r.forecastNote}`;
  return [`cumulative net paid per customer (${r.currency}, whole units) by first-purchase month; data to ${r.dataEnd ?? '-'}; * = month not over; ${basis}`, '', header, ...rows].join('\n');
}

function stepLines(steps: FunnelStepResult[]): string[] {
  return steps.map((s, i) => {
    const time = s.medianSecondsFromPrevious === null ? '' : `  median ${formatDuration(s.medianSecondsFromPrevious)} after step ${i}`;
    return `  ${i + 1}. ${pad(s.event, 22)}${right(n(s.customers), 9)}${right(percent(s.conversion), 8)}${right(percent(s.conversionFromFirst), 8)}${time}`;
  });
}

const formatDuration = (seconds: number): string => (seconds < 120 ? `${Math.round(seconds)} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : seconds < 172_800 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 86_400).toFixed(1)} d`);

export function formatFunnel(r: FunnelReport): string {
  const lines = [
    `entries ${r.period.from} … ${r.period.to} (to excluded, ${r.timezone}), each step within ${r.windowDays} days of the first`,
    '',
    `  ${pad('', 3)}${pad('step', 22)}${right('customers', 9)}${right('step', 8)}${right('total', 8)}`,
    ...stepLines(r.steps),
    `overall conversion ${percent(r.overallConversion)}`,
  ];
  for (const c of r.byChannel ?? []) lines.push('', `channel ${c.channel}: overall ${percent(c.overallConversion)}`, ...stepLines(c.steps));
  const cart = r.cartAbandonment;
  lines.push('', `cart abandonment ${percent(cart.rate)}: ${n(cart.abandoned)} of ${n(cart.carts)} customers with a cart completed no order within ${r.windowDays} days`);
  return lines.join('\n');
}

export function formatDefinitions(definitions: MetricDefinition[]): string {
  return definitions.map((d) => `${d.key} (${d.unit})\n  ${d.en.name}: ${d.en.definition}\n  ${d.zh.name}：${d.zh.definition}`).join('\n\n');
}

/** Two lines of the KPIs for a printed summary (the demo's): the headline figures and their change. */
export function formatKpiSummary(r: KpiReport): string {
  const m = Object.fromEntries(r.metrics.map((k) => [k.key, k]));
  const change = (key: string) => (m[key]!.changeRatio === null ? '' : ` (${m[key]!.changeRatio >= 0 ? '+' : ''}${(m[key]!.changeRatio * 100).toFixed(1)}%)`);
  return [
    `week ${r.period.from} … ${r.period.to} (to excluded) against the week before: GMV ${money(m.gmvFen!.value, r.currency)}${change('gmvFen')}, ${n(m.orders!.value ?? 0)} orders${change('orders')}, ${n(m.buyers!.value ?? 0)} buyers${change('buyers')}`,
    `AOV ${money(m.aovFen!.value, r.currency)} per order, 客单价 ${money(m.spendPerBuyerFen!.value, r.currency)} per buyer, 复购率 ${percent(m.repeatRate!.value)}, ${n(m.newBuyers!.value ?? 0)} new buyers (siyu report kpis)`,
  ].join('\n');
}
