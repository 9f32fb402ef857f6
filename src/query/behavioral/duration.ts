/**
 * Durations in query parameters: whole seconds (`1800`) or a count and a unit
 * (`30 minutes`, `30m`, `1 hour`, `2d`, `1 week`). Funnel windows and sequence time
 * limits are whole seconds (docs/BEHAVIORAL.md §1).
 */
import { invalidInput } from '../../errors.js';

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86_400,
  day: 86_400,
  days: 86_400,
  w: 604_800,
  week: 604_800,
  weeks: 604_800,
};

export const MAX_DURATION_SECS = 366 * 86_400;

export function parseDuration(text: string, param: string, max = MAX_DURATION_SECS): number {
  const m = /^\s*(\d{1,9})\s*([a-z]*)\s*$/i.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : UNIT_SECONDS[unit];
  if (!m || factor === undefined) {
    throw invalidInput(`${param}: expected seconds or a duration like "30 minutes", "2 hours", "1 day"`);
  }
  const secs = Number(m[1]) * factor;
  if (secs < 1 || secs > max) throw invalidInput(`${param}: must be from 1 second to ${max / 86_400} days`);
  return secs;
}
