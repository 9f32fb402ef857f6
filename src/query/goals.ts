/**
 * Configured goals in queries (docs/METRICS.md, "Goals"). A goal is a condition on one event
 * row — a custom event by name, or a page view whose path matches a pattern — so it is
 * written as a filter over `event:name` and `event:page`, and everything that takes filters
 * (every plan, both engines) counts goals without knowing them. A site without goals keeps
 * the rule of before: every custom event name is a goal, `event:goal` reads `event_name`.
 */
import { invalidInput } from '../errors.js';
import type { Goal } from '../sites/goals.js';
import { type Dimension, dimension } from './dimensions.js';
import type { Filter } from './filters.js';

export type { Goal };

const NAME = dimension('event:name') as Dimension;
const PAGE = dimension('event:page') as Dimension;
const EVENT_GOAL = dimension('event:goal') as Dimension;

const is = (dim: Dimension, value: string): Filter => ({ kind: 'match', op: 'is', dim, values: [value], caseSensitive: true });

/** A page pattern as an anchored regular expression: `*` any run of characters (`/` too), the rest literal. */
export const pagePatternRegex = (path: string): string =>
  `^${path
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, (c) => `\\${c}`))
    .join('.*')}$`;

/**
 * The rows that complete a goal: its custom event, or a page view on a matching path. An event
 * goal is written on `event:goal` (the event name, as for a site without goals), so the plans
 * that answer a one-goal filter from rollups answer it here too.
 */
export function goalFilter(goal: Goal): Filter {
  if (goal.eventName !== null) return { ...is(EVENT_GOAL, goal.eventName), goal: goal.displayName };
  const path = goal.pagePath ?? '';
  const page: Filter = path.includes('*')
    ? { kind: 'match', op: 'matches', dim: PAGE, values: [pagePatternRegex(path)], caseSensitive: true }
    : is(PAGE, path);
  return { kind: 'and', children: [is(NAME, 'pageview'), page], goal: goal.displayName };
}

/** Whether a goal's display name satisfies an `event:goal` filter (is / contains, as v2 allows). */
function selects(f: Extract<Filter, { kind: 'match' }>, goal: Goal): boolean {
  const fold = (s: string) => (f.caseSensitive ? s : s.toLowerCase());
  const name = fold(goal.displayName);
  const values = f.values.map(fold);
  if (f.op === 'is') return values.includes(name);
  if (f.op === 'contains') return values.some((v) => name.includes(v));
  // The other operators are refused by resolveGoals.
  return false;
}

/** The goals an `event:goal` filter selects. */
export const selectedGoals = (f: Extract<Filter, { kind: 'match' }>, goals: readonly Goal[]): Goal[] =>
  goals.filter((g) => selects(f, g));

/**
 * No stored event has an empty name (ingestion refuses one), so this keeps no row: the
 * filter of an `event:goal` value that names no configured goal.
 */
const NOTHING: Filter = is(NAME, '');

export interface ResolvedGoals {
  /** The filters with each `event:goal` match replaced by the conditions of the goals it selects. */
  filters: Filter[];
  /** The configured goals the request's top-level `event:goal` filters keep (all when none): the Goals panel's rows. */
  shown: readonly Goal[];
}

/**
 * Resolves `event:goal` filters against the site's goals; filters unchanged when it has none.
 * A replacement carries `goal`, so conversion-rate denominators still leave it out
 * (filters.ts `withoutGoalFilters`).
 */
export function resolveGoals(filters: readonly Filter[], goals: readonly Goal[]): ResolvedGoals {
  if (goals.length === 0) return { filters: [...filters], shown: goals };
  let shown = goals;
  // A condition a goal filter became (`goal` set) is resolved already: resolving stays idempotent.
  for (const f of filters)
    if (f.kind === 'match' && f.dim.name === 'event:goal' && f.goal === undefined) shown = selectedGoals(f, shown);
  const resolve = (f: Filter): Filter => {
    if (f.goal !== undefined) return f;
    if ('child' in f) return { ...f, child: resolve(f.child) };
    if ('children' in f) return { ...f, children: f.children.map(resolve) };
    if (f.dim.name !== 'event:goal') return f;
    if (f.op !== 'is' && f.op !== 'contains') {
      throw invalidInput(`filters: event:goal can only be filtered with is or contains (the site has configured goals)`);
    }
    const chosen = selectedGoals(f, goals).map(goalFilter);
    const label = f.values.join(', ');
    if (chosen.length === 0) return { ...NOTHING, goal: label };
    return chosen.length === 1 ? (chosen[0] as Filter) : { kind: 'or', children: chosen, goal: label };
  };
  return { filters: filters.map(resolve), shown };
}

/** The currencies of the revenue goals (goals with a currency) among these, each once, in goal order. */
export function revenueCurrencies(goals: readonly Goal[]): string[] {
  return [...new Set(goals.flatMap((g) => (g.currency === null ? [] : [g.currency])))];
}

/**
 * The currency the revenue of these goals is answered in: that of the revenue goals among
 * them when they share one (as Plausible's: a goal without a currency does not stop it);
 * undefined when none of them is a revenue goal, or they count in several currencies.
 */
export function sharedCurrency(goals: readonly Goal[]): string | undefined {
  const currencies = revenueCurrencies(goals);
  return currencies.length === 1 ? currencies[0] : undefined;
}

/**
 * The completions of the revenue goals among these: the events whose amounts count. Only
 * those, as in Plausible, which keeps revenue on the completions of revenue goals alone (an
 * amount sent with another event is not revenue). The goals must include a revenue goal.
 */
export function revenueCompletions(goals: readonly Goal[]): Filter {
  const conditions = goals.filter((g) => g.currency !== null).map(goalFilter);
  return conditions.length === 1 ? (conditions[0] as Filter) : { kind: 'or', children: conditions };
}
