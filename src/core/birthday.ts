// A birthday is personal data, stored sealed (docs/privacy.md). Beside it the profile keeps two coarse plain columns
// that are not the birthdate, for what the product computes from it: the birth year (ages) and the birth month
// (生日月 benefits). Ingest, import, corrections and the conversion of older stores all derive them here, so they
// agree with the sealed value.

/** A birthday in its normal form, `YYYY-MM-DD`, with the plain parts kept beside the sealed value. */
export interface Birthday {
  iso: string;
  year: number;
  month: number;
  day: number;
}

/**
 * Reads a birthday written `YYYY-MM-DD` (anything after the day, such as a time, is ignored). Undefined when it is
 * not a real calendar date (1990-02-30, 1988-13-01).
 */
export function parseBirthday(raw: string): Birthday | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw.trim());
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { iso: `${match[1]}-${match[2]}-${match[3]}`, year, month, day };
}

/** Days in a month (1-12) of a year, leap years counted. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
