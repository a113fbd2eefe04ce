/**
 * Schedules of a policy ("children's hours"): windows of days and hours in the café's time
 * zone. A window whose `to` is not after its `from` runs overnight: 21:00–07:00 on fri is
 * Friday 21:00 to Saturday 07:00. Evaluated from an injected clock, so tests move time.
 */
import { z } from 'zod';
import { en } from '../serve/messages/en.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

const clockTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, en['reason.clockTime']);

export const windowSchema = z.strictObject({
  days: z.array(z.enum(DAYS)).min(1, en['reason.noDays']),
  from: clockTime,
  to: clockTime,
  /** Categories blocked while the window is on; omitted: the policy's own. */
  categories: z.array(z.string().min(1)).optional(),
  /** Safe search while the window is on; omitted: the policy's own. */
  safeSearch: z.boolean().optional(),
});

export type ScheduleWindow = z.output<typeof windowSchema>;

export const timeZoneSchema = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as Asia/Bishkek or UTC');

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The weekday and minute of the day at `now` in `timeZone`. */
export function localTime(now: Date, timeZone: string): { day: Day; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Day;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Whether `window` is on at `now` in `timeZone`. */
export function windowActive(window: ScheduleWindow, now: Date, timeZone: string): boolean {
  const { day, minute } = localTime(now, timeZone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from < to) return window.days.includes(day) && minute >= from && minute < to;
  // Overnight (or a whole day when from = to): the evening of a listed day, the morning after.
  const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7] as Day;
  return (
    (window.days.includes(day) && minute >= from) ||
    (window.days.includes(yesterday) && minute < to)
  );
}

/** The first window on at `now`, if any. */
export function activeWindow(
  windows: readonly ScheduleWindow[] | undefined,
  now: Date,
  timeZone: string,
): ScheduleWindow | undefined {
  return windows?.find((w) => windowActive(w, now, timeZone));
}
