/** Wall-clock arithmetic in IANA timezones with Intl only: local dates and times to instants and back. */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The local date and time of `at` in `timezone`. */
export function localParts(timezone: string, at: Date): LocalParts {
  let format = formats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formats.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/**
 * The instant a local wall-clock time in `timezone` names (month 1-12). Found by correcting a UTC guess by the
 * zone's offset twice, which settles across a daylight-saving change (a local time the change skips resolves to an instant an hour from it).
 */
export function zonedInstant(timezone: string, year: number, month: number, day: number, hour = 0, minute = 0): Date {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const p = localParts(timezone, new Date(guess));
    guess += wanted - Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  }
  return new Date(guess);
}

/** The first instant strictly after `after` at local time `hh:mm` in `timezone`. */
export function nextLocalTime(timezone: string, after: Date, hour: number, minute: number): Date {
  const today = localParts(timezone, after);
  const candidate = zonedInstant(timezone, today.year, today.month, today.day, hour, minute);
  if (candidate > after) return candidate;
  const tomorrow = new Date(Date.UTC(today.year, today.month - 1, today.day + 1));
  return zonedInstant(timezone, tomorrow.getUTCFullYear(), tomorrow.getUTCMonth() + 1, tomorrow.getUTCDate(), hour, minute);
}

/** The next local midnight at which the date `monthDay` (month 1-12, day) recurs, from `after` on (today counts). 29 February falls on 28 February in other years. */
export function nextAnniversary(timezone: string, after: Date, month: number, day: number): Date {
  const today = localParts(timezone, after);
  const on = (year: number) => {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return zonedInstant(timezone, year, month, month === 2 && day === 29 && !leap ? 28 : day);
  };
  const thisYear = on(today.year);
  const isToday = localParts(timezone, thisYear).month === today.month && localParts(timezone, thisYear).day === today.day;
  return isToday || thisYear > after ? thisYear : on(today.year + 1);
}
