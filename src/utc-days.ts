/**
 * UTC days and timestamps as both storage and the query layer cut time: event partitions,
 * derived tables and the planner's split of a period are all whole UTC days.
 */

export const DAY_MS = 86_400_000;

/** The UTC day (`YYYY-MM-DD`) of an instant. */
export const utcDate = (d: Date): string => d.toISOString().slice(0, 10);

/** The first instant (ms) of a UTC day given as `YYYY-MM-DD`. */
export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** Whether all of a UTC day lies in [from, to); a missing bound does not limit it. */
export function wholeDayIn(day: string, from?: Date, to?: Date): boolean {
  const start = dayStart(day);
  return (!from || start >= from.getTime()) && (!to || start + DAY_MS <= to.getTime());
}

/** An instant as DuckDB TIMESTAMP text, in UTC (bound as a parameter or quoted as a literal). */
export const timestampText = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
