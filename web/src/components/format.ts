// The one place numbers, money and dates become text (STYLE.md, "The console"). Money arrives in fen (integer minor
// units); dates arrive as UTC instants or as brand-calendar days (YYYY-MM-DD), and instants are shown in the
// brand's timezone, whatever the browser's is. Chinese counts large numbers in 万 and 亿, which Intl's compact
// notation does for zh-CN.

export type Language = 'zh-CN' | 'en';

export interface Formatter {
  language: Language;
  timezone: string;
  /** ¥1,234.56 */
  money: (fen: number | null | undefined, currency?: string) => string;
  /** ¥12.3万 / ¥123.5K */
  moneyCompact: (fen: number | null | undefined, currency?: string) => string;
  /** 1,234,567 */
  count: (n: number | null | undefined) => string;
  /** 123.5万 / 1.2M */
  countCompact: (n: number | null | undefined) => string;
  /** A decimal with the given digits. */
  decimal: (x: number | null | undefined, digits?: number) => string;
  /** 0.123 → 12.3% */
  percent: (share: number | null | undefined, digits?: number) => string;
  /** A change as a signed percentage: 0.123 → +12.3%, −0.05 → −5.0%. */
  signedPercent: (share: number | null | undefined, digits?: number) => string;
  /** A change of a ratio in share points: 0.012 → +1.2 (the caller adds the unit). */
  points: (delta: number | null | undefined, digits?: number) => string;
  /** A brand-calendar day, YYYY-MM-DD, as the language writes it. */
  day: (day: string | null | undefined) => string;
  /** An instant in the brand timezone. */
  dateTime: (at: string | Date | null | undefined) => string;
}

const NONE = '—';
const locale = (language: Language) => (language === 'zh-CN' ? 'zh-CN' : 'en-US');

export function createFormatter(language: Language, timezone: string, brandCurrency = 'CNY'): Formatter {
  const tag = locale(language);
  const moneyFormat = new Map<string, Intl.NumberFormat>();
  const moneyOf = (currency: string, compact: boolean) => {
    const key = `${currency}:${compact}`;
    let format = moneyFormat.get(key);
    if (!format) {
      format = new Intl.NumberFormat(tag, {
        style: 'currency',
        currency,
        currencyDisplay: 'narrowSymbol',
        ...(compact ? { notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 } : { minimumFractionDigits: 0, maximumFractionDigits: 2 }),
      });
      moneyFormat.set(key, format);
    }
    return format;
  };
  const count = new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
  const countCompact = new Intl.NumberFormat(tag, { notation: 'compact', maximumFractionDigits: 1 });
  const dayFormat = new Intl.DateTimeFormat(tag, { timeZone: 'UTC', year: 'numeric', month: language === 'zh-CN' ? 'numeric' : 'short', day: 'numeric' });
  // h23, not hour12: false, which en-US shows midnight with as 24:00.
  const dateTimeFormat = new Intl.DateTimeFormat(tag, { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const missing = (x: unknown): x is null | undefined => x === null || x === undefined || (typeof x === 'number' && !Number.isFinite(x));
  return {
    language,
    timezone,
    money: (fen, currency = brandCurrency) => (missing(fen) ? NONE : moneyOf(currency, false).format(fen / 100)),
    moneyCompact: (fen, currency = brandCurrency) => (missing(fen) ? NONE : Math.abs(fen) < 1_000_000 ? moneyOf(currency, false).format(Math.round(fen / 100)) : moneyOf(currency, true).format(fen / 100)),
    count: (n) => (missing(n) ? NONE : count.format(n)),
    countCompact: (n) => (missing(n) ? NONE : Math.abs(n) < 10_000 ? count.format(n) : countCompact.format(n)),
    decimal: (x, digits = 2) => (missing(x) ? NONE : new Intl.NumberFormat(tag, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x)),
    percent: (share, digits = 1) => (missing(share) ? NONE : new Intl.NumberFormat(tag, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(share)),
    signedPercent: (share, digits = 1) => (missing(share) ? NONE : new Intl.NumberFormat(tag, { style: 'percent', signDisplay: 'exceptZero', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(share)),
    points: (delta, digits = 1) => (missing(delta) ? NONE : new Intl.NumberFormat(tag, { signDisplay: 'exceptZero', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(delta * 100)),
    day: (day) => (day ? dayFormat.format(new Date(`${day.slice(0, 10)}T00:00:00Z`)) : NONE),
    dateTime: (at) => (at ? dateTimeFormat.format(typeof at === 'string' ? new Date(at) : at) : NONE),
  };
}

/** Today's day in a timezone, YYYY-MM-DD. */
export function todayIn(timezone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** A day moved by whole days, YYYY-MM-DD. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

// Date pickers hold a wall-clock time with no zone; the console means the brand's wall clock, whatever the browser's
// zone is. These two convert between that text (YYYY-MM-DDTHH:mm) and an instant.

function wallParts(timezone: string, at: Date): number[] {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return [part('year'), part('month'), part('day'), part('hour'), part('minute')];
}

/** An instant as the brand's wall clock: 2026-06-01T00:00 (Asia/Shanghai) for 2026-05-31T16:00:00Z. */
export function brandWallClock(at: string | Date, timezone: string): string {
  const [y, mo, d, h, mi] = wallParts(timezone, typeof at === 'string' ? new Date(at) : at).map((n) => String(n).padStart(2, '0'));
  return `${y}-${mo}-${d}T${h}:${mi}`;
}

/** The brand's wall clock (YYYY-MM-DDTHH:mm) as an instant, in ISO 8601 UTC; a time a clock change skips moves on by the change. */
export function brandInstant(wallClock: string, timezone: string): string {
  const [y, mo, d, h, mi] = wallClock.split(/[-T:]/).map(Number) as [number, number, number, number, number];
  const wanted = Date.UTC(y, mo - 1, d, h, mi);
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const [py, pmo, pd, ph, pmi] = wallParts(timezone, new Date(guess)) as [number, number, number, number, number];
    guess += wanted - Date.UTC(py, pmo - 1, pd, ph, pmi);
  }
  return new Date(guess).toISOString();
}
