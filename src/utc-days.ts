/**
 * UTC days and timestamps as both storage and the query layer cut time: event partitions,
 * derived tables and the planner's split of a period are all whole UTC days.
 */

export const DAY_MS = 86_400_000;

/** Day number → `YYYY-MM-DD`: live traffic asks for one day, a batch over a month for thirty. */
const dayNames = new Map<number, string>();

/**
 * The UTC day (`YYYY-MM-DD`) of an instant; throws RangeError for an invalid Date. Asked
 * for every event at ingest (visitor id, partition), where formatting a date each time
 * showed in the profile.
 */
export function utcDate(d: Date): string {
  const n = Math.floor(d.getTime() / DAY_MS);
  let name = dayNames.get(n);
  if (name === undefined) {
    name = d.toISOString().slice(0, 10);
    if (dayNames.size >= 4096) dayNames.clear(); // an import of many years: memory stays bounded
    dayNames.set(n, name);
  }
  return name;
}

/** The first instant (ms) of a UTC day given as `YYYY-MM-DD`. */
export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** Whether all of a UTC day lies in [from, to); a missing bound does not limit it. */
export function wholeDayIn(day: string, from?: Date, to?: Date): boolean {
  const start = dayStart(day);
  return (!from || start >= from.getTime()) && (!to || start + DAY_MS <= to.getTime());
}

/** An instant as DuckDB TIMESTAMP text, in UTC (bound as a parameter or quoted as a literal). */
export const timestampText = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
