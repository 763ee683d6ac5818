import { Cron } from 'croner';
import { SiyuError } from './errors.ts';

/** A validated cron schedule in one timezone: five fields (minute hour day month weekday), or six with seconds first. */
export interface Schedule {
  readonly expression: string;
  readonly timezone: string;
  /** The first slot strictly after `after`, or undefined if the expression never fires again. */
  next(after: Date): Date | undefined;
  /** The latest slot at or before `at`, or undefined if there is none. */
  previous(at: Date): Date | undefined;
}

/**
 * Parses a cron expression (croner's syntax: standard five fields, an optional seconds field, `L`, `#`, `W`, and
 * names such as MON or JAN) in an IANA timezone. A bad expression or zone is a validation error naming `path`.
 */
export function parseSchedule(expression: string, timezone: string, path = 'schedule'): Schedule {
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true });
    cron.nextRun(new Date()); // an unknown zone surfaces only when a time is computed
  } catch (error) {
    throw new SiyuError('validation', 'invalid_schedule', `${path}: ${JSON.stringify(expression)} is not a cron schedule in ${timezone}: ${(error as Error).message} (five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 daily)`, {
      details: [{ path, message: (error as Error).message }],
    });
  }
  return {
    expression,
    timezone,
    next: (after) => cron.nextRun(after) ?? undefined,
    // croner looks back from a reference it excludes, so a slot exactly at `at` needs `at` plus a millisecond.
    previous: (at) => cron.previousRuns(1, new Date(at.getTime() + 1))[0],
  };
}
