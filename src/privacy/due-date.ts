import { SiyuError } from '../core/errors.ts';
import type { Queryable } from '../store/index.ts';

/** PIPL leaves the deadline to the handler; 15 working days is the GB/T 35273-2020 (8.7 c) norm, and the default. */
export const DEFAULT_DUE_WORKING_DAYS = 15;

/** The brand's request settings, from `settings`: the deadline, public holidays and make-up working days (调休). */
export interface RequestCalendar {
  dueWorkingDays: number;
  timezone: string;
  /** Weekdays that are not working days (YYYY-MM-DD). */
  holidays: ReadonlySet<string>;
  /** Weekend days that are working days (YYYY-MM-DD). */
  workdays: ReadonlySet<string>;
}

const days = (text: string | undefined) => new Set((text ?? '').split(/[\s,]+/).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)));

/** Reads `privacy.due_working_days`, `privacy.holidays` and `privacy.workdays` (comma-separated days) and the brand timezone. */
export async function readRequestCalendar(db: Queryable): Promise<RequestCalendar> {
  const rows = await db.query<{ key: string; value: string }>(`SELECT key, value FROM settings WHERE key IN ('timezone', 'privacy.due_working_days', 'privacy.holidays', 'privacy.workdays')`);
  const get = (key: string) => rows.find((r) => r.key === key)?.value;
  const due = Number(get('privacy.due_working_days') ?? DEFAULT_DUE_WORKING_DAYS);
  if (!Number.isInteger(due) || due < 1) throw new SiyuError('validation', 'invalid_setting', `setting privacy.due_working_days must be a whole number ≥ 1, not ${JSON.stringify(get('privacy.due_working_days'))}`);
  return { dueWorkingDays: due, timezone: get('timezone') ?? 'Asia/Shanghai', holidays: days(get('privacy.holidays')), workdays: days(get('privacy.workdays')) };
}

/** The calendar day of an instant in an IANA zone, YYYY-MM-DD. */
export function localDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Whether a day is a working day: Monday to Friday unless a holiday, or a weekend day listed as a working day. */
export function isWorkingDay(day: string, calendar: Pick<RequestCalendar, 'holidays' | 'workdays'>): boolean {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  if (calendar.workdays.has(day)) return true;
  return weekday !== 0 && weekday !== 6 && !calendar.holidays.has(day);
}

/**
 * The due date of a request received at `at`: the `workingDays`-th working day after the day it arrived in the brand
 * timezone (the day of arrival does not count).
 */
export function dueDate(at: Date, workingDays: number, calendar: Pick<RequestCalendar, 'timezone' | 'holidays' | 'workdays'>): string {
  let day = localDate(at, calendar.timezone);
  for (let counted = 0; counted < workingDays; ) {
    day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    if (isWorkingDay(day, calendar)) counted++;
  }
  return day;
}
