/**
 * ClickHouse `windowFunnel` for one visitor (docs/BEHAVIORAL.md §3), computed in TypeScript
 * because DuckDB has no equivalent. The caller ships per-row step bitmasks from SQL;
 * this module turns them into a funnel level. It runs once per visitor over large
 * result sets, so the common path reuses module-level typed arrays instead of
 * allocating per row.
 */
import { invalidInput } from '../../errors.js';

export const FUNNEL_MODES = ['strict_deduplication', 'strict_order', 'strict_increase', 'strict_once', 'allow_reentry'] as const;
export type FunnelMode = (typeof FUNNEL_MODES)[number];

const MAX_STEPS = 32;

const isFunnelMode = (name: string): name is FunnelMode => (FUNNEL_MODES as readonly string[]).includes(name);

function unknownModeMessage(name: string): string {
  if (name === 'strict') return 'mode: "strict" is now called "strict_deduplication"';
  if (name === 'timestamp_dedup') return 'mode: "timestamp_dedup" is not supported';
  return `mode: unknown mode "${name}" (expected any of ${FUNNEL_MODES.join(', ')})`;
}

/** Parses the `mode` query parameter: comma-separated mode names, any order, undefined/'' = none. */
export function parseFunnelModes(text: string | undefined): ReadonlySet<FunnelMode> {
  const modes = new Set<FunnelMode>();
  if (text === undefined || text.trim() === '') return modes;
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (name === '') throw invalidInput('mode: empty mode name in the list');
    if (!isFunnelMode(name)) throw invalidInput(unknownModeMessage(name));
    if (modes.has(name)) throw invalidInput(`mode: "${name}" given twice`);
    modes.add(name);
  }
  if (modes.has('allow_reentry') && !modes.has('strict_order')) {
    throw invalidInput('mode: allow_reentry requires strict_order');
  }
  return modes;
}

// ---- entries -------------------------------------------------------------------------

/** Reused across calls; grown on demand. An entry is (row, step); step 0 = noise. */
let entryRow = new Int32Array(256);
let entryStep = new Uint8Array(256);
let order = new Int32Array(256);

function ensureEntryCapacity(n: number): void {
  if (entryRow.length >= n) return;
  const size = Math.max(n, entryRow.length * 2);
  entryRow = new Int32Array(size);
  entryStep = new Uint8Array(size);
  order = new Int32Array(size);
}

const hasStep = (mask: number, step: number) => ((mask >>> (step - 1)) & 1) === 1;

function countEntries(masks: ArrayLike<number>, rows: number, steps: number, noise: boolean): number {
  let count = 0;
  for (let row = 0; row < rows; row++) {
    const mask = masks[row] ?? 0;
    let matched = 0;
    for (let step = 1; step <= steps; step++) if (hasStep(mask, step)) matched++;
    count += matched === 0 && noise ? 1 : matched;
  }
  return count;
}

/** Fills entryRow/entryStep in row order (steps ascending within a row); returns the count. */
function buildEntries(masks: ArrayLike<number>, rows: number, steps: number, noise: boolean): number {
  ensureEntryCapacity(countEntries(masks, rows, steps, noise));
  let count = 0;
  for (let row = 0; row < rows; row++) {
    const mask = masks[row] ?? 0;
    const before = count;
    for (let step = 1; step <= steps; step++) {
      if (!hasStep(mask, step)) continue;
      entryRow[count] = row;
      entryStep[count] = step;
      count++;
    }
    if (count === before && noise) {
      entryRow[count] = row;
      entryStep[count] = 0;
      count++;
    }
  }
  return count;
}

/**
 * Sorts entry ids by (ts, step, arrival). Rows come in (ts, arrival) order, so the entry id
 * (assigned in row order) stands in for arrival; using it as the last key makes the order
 * total, so sort stability does not matter.
 */
function sortEntries(ts: ArrayLike<number>, count: number): Int32Array {
  for (let e = 0; e < count; e++) order[e] = e;
  const sorted = order.subarray(0, count);
  sorted.sort((a, b) => {
    const dt = (ts[entryRow[a] ?? 0] ?? 0) - (ts[entryRow[b] ?? 0] ?? 0);
    if (dt !== 0) return dt;
    const ds = (entryStep[a] ?? 0) - (entryStep[b] ?? 0);
    return ds !== 0 ? ds : a - b;
  });
  return sorted;
}

// ---- scan with one chain record per step (every mode but strict_once) ----------------

interface Flags {
  dedup: boolean;
  order: boolean;
  increase: boolean;
  reentry: boolean;
}

/** L[k] = (start, last) of the chain that most recently reached step k; reused across calls. */
const recStart = new Float64Array(MAX_STEPS + 1);
const recLast = new Float64Array(MAX_STEPS + 1);
const recSet = new Uint8Array(MAX_STEPS + 1);

function highestRecord(steps: number): number {
  for (let k = steps; k >= 1; k--) if (recSet[k] === 1) return k;
  return 0;
}

function scanSingle(ts: ArrayLike<number>, sorted: Int32Array, steps: number, windowSecs: number, f: Flags): number {
  recSet.fill(0, 0, steps + 1);
  let seen1 = false;
  for (let e = 0; e < sorted.length; e++) {
    const id = sorted[e] ?? 0;
    const j = entryStep[id] ?? 0;
    const t = ts[entryRow[id] ?? 0] ?? 0;
    if (j === 0) {
      if (seen1) break;
      continue;
    }
    if (j === 1) {
      recStart[1] = t;
      recLast[1] = t;
      recSet[1] = 1;
      seen1 = true;
      // A level is never lost, so with one step there is nothing more to learn.
      if (steps === 1) return 1;
      continue;
    }
    if (f.dedup && recSet[j] === 1) break;
    const prevSet = recSet[j - 1] === 1;
    if (f.order && seen1 && !prevSet) {
      if (f.reentry) continue;
      break;
    }
    const start = recStart[j - 1] ?? 0;
    if (prevSet && t <= start + windowSecs && (!f.increase || (recLast[j - 1] ?? 0) < t)) {
      recStart[j] = start;
      recLast[j] = t;
      recSet[j] = 1;
      if (j === steps) return steps;
    }
  }
  return highestRecord(steps);
}

// ---- strict_once: every alternative chain is kept ------------------------------------

interface Chain {
  start: number;
  last: number;
  /**
   * Rows the chain used whose ts equals `last`. Entries arrive in ts order and a row's
   * entries all share its ts, so only these rows can ever be offered to the chain again;
   * older ones need not be remembered.
   */
  recent: number[];
}

const sameRows = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((r) => b.includes(r));

/**
 * Appends `c` to `list` unless a chain with the same `last` and recent rows is there:
 * such chains behave identically from now on except that the later start has a wider
 * window, so only the later start is kept. This keeps the lists polynomial in size without
 * changing which lists are non-empty, which is all the result and stop rules look at.
 */
function addChain(list: Chain[], c: Chain): void {
  // Chains are appended in ts order, so those with the same `last` are at the end.
  for (let i = list.length - 1; i >= 0; i--) {
    const other = list[i];
    if (other === undefined || other.last !== c.last) break;
    if (sameRows(other.recent, c.recent)) {
      if (c.start > other.start) other.start = c.start;
      return;
    }
  }
  list.push(c);
}

function extend(c: Chain, row: number, t: number): Chain {
  return { start: c.start, last: t, recent: c.last === t ? [...c.recent, row] : [row] };
}

/**
 * Drops chains whose window has closed: entries come in ts order, so they can never be
 * extended again. Whether the list was ever non-empty is tracked separately.
 */
function dropExpired(list: Chain[], t: number, windowSecs: number): void {
  let kept = 0;
  for (const c of list) if (t <= c.start + windowSecs) list[kept++] = c;
  list.length = kept;
}

function scanOnce(ts: ArrayLike<number>, sorted: Int32Array, steps: number, windowSecs: number, f: Flags): number {
  const lists: Chain[][] = Array.from({ length: steps + 1 }, () => []);
  const everReached = new Array<boolean>(steps + 1).fill(false);
  const reached = (k: number) => everReached[k] === true;
  let seen1 = false;
  for (let e = 0; e < sorted.length; e++) {
    const id = sorted[e] ?? 0;
    const j = entryStep[id] ?? 0;
    const row = entryRow[id] ?? 0;
    const t = ts[row] ?? 0;
    if (j === 0) {
      if (seen1) break;
      continue;
    }
    if (j === 1) {
      addChain(lists[1] ?? [], { start: t, last: t, recent: [row] });
      everReached[1] = true;
      seen1 = true;
      if (steps === 1) return 1;
      continue;
    }
    if (f.dedup && reached(j)) break;
    if (f.order && seen1 && !reached(j - 1)) {
      if (f.reentry) continue;
      break;
    }
    const source = lists[j - 1] ?? [];
    const target = lists[j] ?? [];
    dropExpired(source, t, windowSecs);
    dropExpired(target, t, windowSecs);
    for (const c of source) {
      if (c.last === t && c.recent.includes(row)) continue;
      if (f.increase && !(c.last < t)) continue;
      addChain(target, extend(c, row, t));
      everReached[j] = true;
    }
    if (j === steps && reached(j)) return steps;
  }
  for (let k = steps; k >= 1; k--) if (reached(k)) return k;
  return 0;
}

/**
 * One visitor's funnel level 0..steps. `ts` (whole epoch seconds) and `masks` (bit k-1 =
 * the row satisfies step k; 0 = noise) are parallel arrays in (timestamp, arrival) order.
 */
export function windowFunnel(
  ts: ArrayLike<number>,
  masks: ArrayLike<number>,
  steps: number,
  windowSecs: number,
  modes: ReadonlySet<FunnelMode>,
): number {
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS)
    throw new RangeError(`windowFunnel: 1 to 32 steps, got ${steps}`);
  if (!(windowSecs >= 0)) throw new RangeError(`windowFunnel: window must be >= 0, got ${windowSecs}`);
  const f: Flags = {
    dedup: modes.has('strict_deduplication'),
    order: modes.has('strict_order'),
    increase: modes.has('strict_increase'),
    reentry: modes.has('allow_reentry'),
  };
  const count = buildEntries(masks, Math.min(ts.length, masks.length), steps, f.order);
  if (count === 0) return 0;
  if (steps === 1 && !f.order) return 1;
  const sorted = sortEntries(ts, count);
  return modes.has('strict_once') ? scanOnce(ts, sorted, steps, windowSecs, f) : scanSingle(ts, sorted, steps, windowSecs, f);
}
