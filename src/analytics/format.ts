import { formatNumber as n, padDisplay as pad } from '../core/text.ts';
import type { Overview } from './overview.ts';

const money = (fen: number, currency: string): string => `${currency === 'CNY' ? '¥' : `${currency} `}${(fen / 100).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;

/** A moment's calendar day in the brand timezone, as YYYY-MM-DD. */
const localDay = (at: Date | null, timezone: string): string => (at ? new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at) : '-');

/** The overview as a plain-text report for the terminal. */
export function formatOverview(o: Overview): string {
  const width = Math.max(...o.byChannel.map((c) => c.gmvFen), 1);
  const bar = (fen: number) => '█'.repeat(Math.max(1, Math.round((fen / width) * 24)));
  return [
    `customers   ${n(o.customers)} profiles (${n(o.buyers)} buyers), ${n(o.identities)} identifiers, ${n(o.merges)} merges`,
    `orders      ${n(o.orders)}  GMV ${money(o.gmvFen, o.currency)}  AOV ${money(o.aovFen, o.currency)}  repeat rate ${(o.repeatRate * 100).toFixed(1)}%`,
    `events      ${n(o.events)}`,
    `period      ${localDay(o.firstOrderAt, o.timezone)} … ${localDay(o.lastOrderAt, o.timezone)} (days and months in ${o.timezone})`,
    '',
    'GMV by channel',
    ...o.byChannel.map((c) => `  ${pad(c.channel, 12)} ${money(c.gmvFen, o.currency).padStart(14)}  ${n(c.orders).padStart(9)} orders  ${bar(c.gmvFen)}`),
    '',
    'GMV by month',
    ...o.byMonth.map((m) => `  ${m.month}  ${money(m.gmvFen, o.currency).padStart(14)}  ${n(m.orders).padStart(9)} orders`),
  ].join('\n');
}
