/**
 * Steps of funnels and sequences — `page:/pricing`, `page:/blog/*`, `event:signup`, or a
 * configured goal by its name, `goal:Signup` (its event, or its page pattern) — parsed
 * from a query parameter and compiled into NULL-safe row predicates (docs/BEHAVIORAL.md §1, §8):
 * a comparison with a NULL column is false, so a page view without a name never vanishes
 * from a page step. Values are bound parameters; `*` is a wildcard in page steps only (an
 * event step names one event exactly).
 */
import { invalidInput } from '../../errors.js';
import type { Goal } from '../../sites/goals.js';
import { join, raw, type Sql, spelled, sql } from '../sql.js';

export interface Step {
  kind: 'page' | 'event';
  value: string;
  /** The step as the client wrote it, e.g. `page:/pricing`. */
  label: string;
}

const MAX_STEP_LENGTH = 2000;

/**
 * `steps` is either a comma-separated list (`page:/,event:signup`) or, for values that
 * contain commas, a JSON array of strings (`["page:/a,b","event:x"]`).
 */
export function parseSteps(
  text: string | undefined,
  param: string,
  min: number,
  max: number,
  goals: readonly Goal[] = [],
): Step[] {
  if (text === undefined || text === '') throw invalidInput(`${param}: required (e.g. ${param}=page:/,event:signup)`);
  let items: unknown[];
  if (text.startsWith('[')) {
    try {
      items = JSON.parse(text);
    } catch {
      throw invalidInput(`${param}: not valid JSON`);
    }
    if (!Array.isArray(items)) throw invalidInput(`${param}: must be a list`);
  } else {
    items = text.split(',');
  }
  if (items.length < min || items.length > max) throw invalidInput(`${param}: give ${min} to ${max} steps, not ${items.length}`);
  return items.map((item, i) => parseStep(item, `${param}[${i}]`, goals));
}

function parseStep(item: unknown, at: string, goals: readonly Goal[]): Step {
  if (typeof item !== 'string') throw invalidInput(`${at}: must be a string`);
  if (item.length > MAX_STEP_LENGTH) throw invalidInput(`${at}: longer than ${MAX_STEP_LENGTH} characters`);
  const colon = item.indexOf(':');
  const kind = item.slice(0, colon);
  const value = item.slice(colon + 1);
  if (colon < 0 || (kind !== 'page' && kind !== 'event' && kind !== 'goal')) {
    throw invalidInput(`${at}: must be page:<path>, event:<name> or goal:<goal name>, not "${item.slice(0, 60)}"`);
  }
  if (value === '') throw invalidInput(`${at}: ${kind} is empty`);
  if (kind !== 'goal') return { kind, value, label: item };
  const goal = goals.find((g) => g.displayName === value);
  if (!goal) throw invalidInput(`${at}: the site has no goal named "${value.slice(0, 120)}"`);
  return goal.eventName !== null
    ? { kind: 'event', value: goal.eventName, label: item }
    : { kind: 'page', value: goal.pagePath ?? '', label: item };
}

/** `*` matches any run of characters (including `/` and none); everything else is literal. */
export const likePattern = (glob: string) => glob.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');

/** The step's predicate; never NULL. */
export function stepCondition(step: Step): Sql {
  if (step.kind === 'event') return sql`coalesce(event_name = ${step.value}, false)`;
  if (step.value.includes('*')) return sql`coalesce(${spelled((d) => d.like(sql`pathname`, likePattern(step.value)))}, false)`;
  return sql`coalesce(pathname = ${step.value}, false)`;
}

/** One integer per row: bit k-1 is set when the row satisfies step k (at most 31 steps). */
export function stepMask(steps: readonly Step[]): Sql {
  if (steps.length > 31) throw new Error('at most 31 steps fit a mask');
  // Every step has a bit of its own, so the sum of the set bits is their OR, and a sum is
  // spelled alike in every engine (ClickHouse has no | or <<).
  return sql`(${join(
    steps.map((s, i) => sql`CASE WHEN ${stepCondition(s)} THEN ${raw(String(2 ** i))} ELSE 0 END`),
    ' + ',
  )})::INTEGER`;
}
