/**
 * Filters in Plausible's v2 syntax — `["is", "visit:country", ["US", "DE"]]`, with
 * is/is_not/contains/contains_not/matches/matches_not, and/or/not, and the behavioral
 * has_done/has_not_done — parsed into one tree and compiled into one WHERE clause.
 * Dimensions come from the allowlist, values are bound parameters, regular expressions run
 * in the engine's RE2 (linear time).
 */
import { invalidInput } from '../errors.js';
import { type Dimension, dimension, PROPS_PREFIX } from './dimensions.js';
import { join, type Sql, spelled, sql } from './sql.js';

export const OPERATORS = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'] as const;
export type Operator = (typeof OPERATORS)[number];

export const BEHAVIORAL = ['has_done', 'has_not_done'] as const;
export type Behavioral = (typeof BEHAVIORAL)[number];

export type Filter = (
  | { kind: 'match'; op: Operator; dim: Dimension; values: string[]; caseSensitive: boolean }
  | { kind: 'and' | 'or'; children: Filter[] }
  | { kind: 'not'; child: Filter }
  /** The visits that have (or have not) an event in the period passing `child` (event filters only). */
  | { kind: Behavioral; child: Filter }
) & {
  /** Set on the conditions an `event:goal` filter became (goals.ts): still a goal's filter. */
  readonly goal?: string;
};

const LIMITS = { depth: 5, nodes: 100, values: 100, valueLength: 2000 } as const;

/**
 * How a 400 for an unknown dimension reads: ours names the dimension; the v2 API's quotes the
 * filter as Plausible's does (`Invalid filter ["is", "segment", [1]]`), for clients that match it.
 */
export type FilterWording = 'ours' | 'plausible';

/** How a request's dimension names are read: as named here, or as Plausible's v2 names them (dimensions.ts `v2Dimension`). */
type Lookup = (name: string) => Dimension | undefined;

/** Parses the top-level filter list (implicitly and-ed); throws 400 naming the problem. */
export function parseFilters(
  input: unknown,
  param = 'filters',
  wording: FilterWording = 'ours',
  lookup: Lookup = dimension,
): Filter[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw invalidInput(`${param}: must be a list of filters`);
  const budget = { nodes: 0, wording, lookup };
  return input.map((f, i) => parseOne(f, `${param}[${i}]`, 1, budget));
}

const isBehavioral = (op: string): op is Behavioral => (BEHAVIORAL as readonly string[]).includes(op);

/** The filters directly under `f` (none under a match). */
export function childrenOf(f: Filter): readonly Filter[] {
  if (f.kind === 'match') return [];
  return 'children' in f ? f.children : [f.child];
}

/** Parses the `filters` query parameter (JSON text). */
export function parseFiltersParam(text: string | undefined): Filter[] {
  if (text === undefined || text === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidInput('filters: not valid JSON');
  }
  return parseFilters(json);
}

/**
 * A filter as Plausible's v2 errors quote it (`["is", "segment", [1]]`); cut short, as any
 * echo of input is.
 */
function inspect(f: unknown): string {
  const text = (v: unknown): string => (Array.isArray(v) ? `[${v.map(text).join(', ')}]` : (JSON.stringify(v) ?? 'null'));
  const all = text(f);
  return all.length > 200 ? `${all.slice(0, 200)}…` : all;
}

/** Plausible's v2 refusals of a behavioral filter, which its clients may match. */
const PLAUSIBLE_EVENTS_ONLY =
  'Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters.';
const PLAUSIBLE_NESTED = 'Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested.';

/**
 * `inside`: the behavioral filter this one is part of. A behavioral filter asks which visits
 * had an event passing its filter, so that filter reads events only (`event:*` dimensions)
 * and holds no other behavioral filter (as Plausible's).
 */
function parseOne(
  f: unknown,
  at: string,
  depth: number,
  budget: { nodes: number; wording: FilterWording; lookup: Lookup },
  inside?: Behavioral,
): Filter {
  if (depth > LIMITS.depth) throw invalidInput(`${at}: filters nested deeper than ${LIMITS.depth}`);
  if (++budget.nodes > LIMITS.nodes) throw invalidInput(`filters: more than ${LIMITS.nodes} filters`);
  if (!Array.isArray(f) || typeof f[0] !== 'string') throw invalidInput(`${at}: expected [operator, ...]`);
  const op = f[0];
  if (op === 'and' || op === 'or') {
    const children = f[1];
    if (!Array.isArray(children) || children.length === 0 || f.length !== 2) {
      throw invalidInput(`${at}: "${op}" takes a non-empty list of filters`);
    }
    return { kind: op, children: children.map((c, i) => parseOne(c, `${at}[1][${i}]`, depth + 1, budget, inside)) };
  }
  if (op === 'not') {
    if (f.length !== 2) throw invalidInput(`${at}: "not" takes one filter`);
    return { kind: 'not', child: parseOne(f[1], `${at}[1]`, depth + 1, budget, inside) };
  }
  if (isBehavioral(op)) {
    if (inside) {
      const ours = `"${op}" cannot be inside "${inside}" (behavioral filters do not nest)`;
      throw invalidInput(`${at}: ${budget.wording === 'plausible' ? `${PLAUSIBLE_NESTED} ${ours}` : ours}`);
    }
    if (f.length !== 2) throw invalidInput(`${at}: "${op}" takes one filter of event:* dimensions`);
    return { kind: op, child: parseOne(f[1], `${at}[1]`, depth + 1, budget, op) };
  }
  if (!(OPERATORS as readonly string[]).includes(op)) {
    throw invalidInput(
      `${at}: unknown operator "${op.slice(0, 40)}" (use ${OPERATORS.join(', ')}, and, or, not, ${BEHAVIORAL.join(', ')})`,
    );
  }
  const [, name, values, modifiers] = f as unknown[];
  if (typeof name !== 'string') throw invalidInput(`${at}: dimension must be a string`);
  const dim = budget.lookup(name);
  if (!dim) {
    const unknown = `unknown dimension "${name.slice(0, 80)}"`;
    throw invalidInput(`${at}: ${budget.wording === 'plausible' ? `Invalid filter ${inspect(f)}: ${unknown}` : unknown}`);
  }
  if (dim.level === 'time') throw invalidInput(`${at}: filter time with the period or date_range, not "${name}"`);
  if (inside && dim.level !== 'event') {
    const ours = `"${inside}" takes filters of event:* dimensions only, not "${name}"`;
    throw invalidInput(`${at}: ${budget.wording === 'plausible' ? `${PLAUSIBLE_EVENTS_ONLY} ${ours}` : ours}`);
  }
  if (!Array.isArray(values) || values.length === 0 || values.length > LIMITS.values) {
    throw invalidInput(`${at}: values must be a list of 1 to ${LIMITS.values} strings`);
  }
  const clean = values.map((v) => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v !== 'string' || v.length > LIMITS.valueLength) {
      throw invalidInput(`${at}: values must be strings of at most ${LIMITS.valueLength} characters`);
    }
    return v;
  });
  let caseSensitive = true;
  if (modifiers !== undefined) {
    if (typeof modifiers !== 'object' || modifiers === null || Array.isArray(modifiers)) {
      throw invalidInput(`${at}: modifiers must be an object`);
    }
    const cs = (modifiers as Record<string, unknown>).case_sensitive;
    if (cs !== undefined && typeof cs !== 'boolean') throw invalidInput(`${at}: case_sensitive must be true or false`);
    caseSensitive = cs ?? true;
  }
  if (f.length > 4) throw invalidInput(`${at}: too many elements`);
  return { kind: 'match', op: op as Operator, dim, values: clean, caseSensitive };
}

/**
 * Every dimension a filter tree refers to; those inside a behavioral filter too, which are
 * event dimensions: a plan that has no events to read (visit rows alone, rollups) cannot
 * answer it.
 */
export function filterDimensions(filters: readonly Filter[]): Dimension[] {
  const out: Dimension[] = [];
  const walk = (f: Filter) => {
    if (f.kind === 'match') out.push(f.dim);
    else childrenOf(f).forEach(walk);
  };
  filters.forEach(walk);
  return out;
}

/** A regular expression of a filter, and whether it runs case-sensitively. */
export interface FilterPattern {
  pattern: string;
  caseSensitive: boolean;
}

/**
 * Every regular expression in a filter tree with its case mode (checked by the engine before
 * the query runs): an engine may compile a pattern in one mode and not the other (ClickHouse
 * takes `\\` as a literal, but `(?i)\\` goes to RE2, which refuses the trailing backslash).
 */
export function filterPatterns(filters: readonly Filter[]): FilterPattern[] {
  const out: FilterPattern[] = [];
  const walk = (f: Filter) => {
    if (f.kind === 'match') {
      if (f.op === 'matches' || f.op === 'matches_not') {
        for (const pattern of f.values) out.push({ pattern, caseSensitive: f.caseSensitive });
      }
    } else childrenOf(f).forEach(walk);
  };
  filters.forEach(walk);
  return out;
}

/**
 * The filters a conversion rate divides by: the same ones without goal and property
 * filters (Plausible), so a goal's rate is its visitors over all visitors of the segment.
 */
export function withoutGoalFilters(filters: readonly Filter[]): Filter[] {
  return filters.filter(
    (f) => f.goal === undefined && !(f.kind === 'match' && (f.dim.name === 'event:goal' || f.dim.name.startsWith(PROPS_PREFIX))),
  );
}

export function compileFilters(filters: readonly Filter[]): Sql {
  return filters.length === 0 ? sql`TRUE` : join(filters.map(compile), ' AND ');
}

/** Whether a filter list holds a behavioral filter anywhere. */
export function hasBehavioral(filters: readonly Filter[]): boolean {
  const any = (f: Filter): boolean => isBehavioral(f.kind) || childrenOf(f).some(any);
  return filters.some(any);
}

/**
 * `compileFilters` holds for a row of `ev`, the site's events in the query's period (builder.ts),
 * or of a relation joined to it by `session_id`. A behavioral filter keeps the visits with an
 * event of `ev` passing its filter: that is Plausible's meaning (the visits that did it in the
 * query's period, all of whose events then count), and visits never cross a UTC midnight, so a
 * statement over part of the period (the planner's scanned ranges) holds whole visits of it.
 */
function compile(f: Filter): Sql {
  if ('child' in f) {
    if (f.kind === 'not') return sql`(NOT ${compile(f.child)})`;
    const done = sql`(SELECT session_id FROM ev WHERE ${compile(f.child)})`;
    return f.kind === 'has_done' ? sql`(session_id IN ${done})` : sql`(session_id NOT IN ${done})`;
  }
  if ('children' in f) return sql`(${join(f.children.map(compile), f.kind === 'and' ? ' AND ' : ' OR ')})`;
  // Both sides are lowered by the engine: JavaScript's Unicode rules differ (final sigma, dotted I).
  const subject = f.caseSensitive ? f.dim.expr : spelled((d) => d.lower(f.dim.expr));
  const value = (v: string) => (f.caseSensitive ? sql`${v}` : spelled((d) => d.lower(sql`${v}`)));
  const any = (each: (v: string) => Sql) => sql`(${join(f.values.map(each), ' OR ')})`;
  const pattern = compilePattern(f, subject, value, any);
  if (pattern === undefined) {
    return f.op === 'is'
      ? sql`(${subject} IN (${join(f.values.map(value), ', ')}))`
      : sql`(${subject} NOT IN (${join(f.values.map(value), ', ')}))`;
  }
  return f.dim.present ? sql`(${f.dim.present} AND ${pattern})` : pattern;
}

/** A contains/matches condition (or its negation); undefined for is/is_not. */
function compilePattern(
  f: Extract<Filter, { kind: 'match' }>,
  subject: Sql,
  value: (v: string) => Sql,
  any: (each: (v: string) => Sql) => Sql,
): Sql | undefined {
  switch (f.op) {
    case 'is':
    case 'is_not':
      return undefined;
    case 'contains':
      return any((v) => spelled((d) => d.contains(subject, value(v))));
    case 'contains_not':
      return sql`(NOT ${any((v) => spelled((d) => d.contains(subject, value(v))))})`;
    case 'matches':
      return any((v) => spelled((d) => d.regexMatch(f.dim.expr, v, f.caseSensitive)));
    case 'matches_not':
      return sql`(NOT ${any((v) => spelled((d) => d.regexMatch(f.dim.expr, v, f.caseSensitive)))})`;
    default:
      throw new Error(`unhandled operator ${f.op satisfies never}`);
  }
}
