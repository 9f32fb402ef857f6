/**
 * ClickHouse `sequenceMatch` / `sequenceCount` for one visitor (docs/BEHAVIORAL.md §5): the
 * pattern parser that validates user-supplied patterns, and the depth-first matcher run
 * over per-row condition bitmasks shipped from SQL. A regular-expression translation would
 * get rows matching several conditions and the time-reference rules wrong, hence the
 * explicit search.
 */
import { invalidInput } from '../../errors.js';

export type PatternToken =
  | { kind: 'cond'; index: number }
  | { kind: 'any' }
  | { kind: 'anyRun' }
  | { kind: 'time'; op: '<=' | '<' | '>=' | '>' | '=='; seconds: number };

export interface Pattern {
  text: string;
  /** The items as written; the matcher adds the implicit leading `.*` itself. */
  tokens: PatternToken[];
  /** Distinct condition indices used, ascending. */
  referenced: number[];
}

export const PATTERN_LIMITS = { length: 256, items: 32, anyRuns: 8, seconds: 10 * 365 * 86400 } as const;

/** ClickHouse aborts a match after this many steps; so do we, per call. */
const MAX_STEPS = 1_000_000;

export class PatternTooExpensive extends Error {
  override name = 'PatternTooExpensive';
}

// ---- parsing ---------------------------------------------------------------------------

type TimeOp = Extract<PatternToken, { kind: 'time' }>['op'];
const TIME_OPS: readonly TimeOp[] = ['<=', '<', '>=', '>', '=='];

const fail = (message: string, pos: number) => invalidInput(`pattern: ${message} at position ${pos + 1}`);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
/** Compares by digit count first, so huge literals never go through float rounding. */
const exceeds = (digits: string, max: number) => {
  const significant = digits.replace(/^0+/, '');
  return significant.length > String(max).length || Number(significant) > max;
};

class PatternParser {
  pos = 0;
  readonly tokens: PatternToken[] = [];
  private anyRuns = 0;

  constructor(
    private readonly text: string,
    private readonly conditions: number,
  ) {}

  parse(): PatternToken[] {
    while (this.pos < this.text.length) {
      const start = this.pos;
      this.push(this.item(), start);
    }
    return this.tokens;
  }

  private push(token: PatternToken, start: number): void {
    if (this.tokens.length >= PATTERN_LIMITS.items) throw fail(`more than ${PATTERN_LIMITS.items} items`, start);
    if (token.kind === 'anyRun' && ++this.anyRuns > PATTERN_LIMITS.anyRuns) {
      throw fail(`more than ${PATTERN_LIMITS.anyRuns} ".*"`, start);
    }
    if (token.kind === 'time' && this.tokens.at(-1)?.kind === 'time') {
      throw fail('a time constraint directly after another time constraint', start);
    }
    this.tokens.push(token);
  }

  private item(): PatternToken {
    const c = this.text[this.pos];
    if (c === '.') {
      this.pos++;
      if (this.text[this.pos] !== '*') return { kind: 'any' };
      this.pos++;
      return { kind: 'anyRun' };
    }
    if (c === '(') return this.group();
    if (c === ')') throw fail('unbalanced parentheses: ")" without "("', this.pos);
    throw fail(`unexpected character ${JSON.stringify(c)}`, this.pos);
  }

  /** `(?N)` or `(?tOPN)`. */
  private group(): PatternToken {
    const open = this.pos;
    this.pos++;
    if (this.text[this.pos] !== '?') this.unexpected(open, '"?" after "("');
    this.pos++;
    let token: PatternToken;
    if (this.text[this.pos] === 't') {
      this.pos++;
      const op = this.operator(open);
      const at = this.pos;
      const digits = this.digits(open);
      const max = PATTERN_LIMITS.seconds;
      if (exceeds(digits, max)) throw fail(`time threshold ${digits} is too large (at most ${max})`, at);
      token = { kind: 'time', op, seconds: Number(digits) };
    } else {
      const at = this.pos;
      const digits = this.digits(open);
      if (exceeds(digits, this.conditions)) {
        throw fail(`(?${digits}) refers to condition ${digits} but there are only ${this.conditions} conditions`, at);
      }
      const index = Number(digits);
      if (index < 1) throw fail(`conditions are numbered from 1, (?${digits}) is invalid`, at);
      token = { kind: 'cond', index };
    }
    if (this.text[this.pos] !== ')') this.unexpected(open, '")"');
    this.pos++;
    return token;
  }

  /** Past the end, or at another "(", the group at `open` was never closed. */
  private unexpected(open: number, expected: string): never {
    const c = this.text[this.pos];
    if (c === undefined || c === '(') throw fail('unbalanced parentheses: "(" not closed', open);
    throw fail(`unexpected character ${JSON.stringify(c)} (expected ${expected})`, this.pos);
  }

  /** Reads the whole run of operator characters, so `<>` or `<==` is reported as one unknown operator. */
  private operator(open: number): TimeOp {
    const run = /^[<>=!]*/.exec(this.text.slice(this.pos))?.[0] ?? '';
    if (run === '') this.unexpected(open, 'a time operator <=, <, >=, > or ==');
    const op = TIME_OPS.find((o) => o === run);
    if (op === undefined) throw fail(`unknown time operator "${run}" (use <=, <, >=, > or ==)`, this.pos);
    this.pos += run.length;
    return op;
  }

  private digits(open: number): string {
    const start = this.pos;
    while (isDigit(this.text[this.pos])) this.pos++;
    if (this.pos === start) this.unexpected(open, 'a number');
    return this.text.slice(start, this.pos);
  }
}

/** Parses a pattern per §5's grammar; every problem is a 400 naming its position. */
export function parsePattern(text: string, conditions: number): Pattern {
  if (text === '') throw invalidInput('pattern: empty pattern');
  if (text.length > PATTERN_LIMITS.length) {
    throw invalidInput(`pattern: longer than ${PATTERN_LIMITS.length} characters (${text.length})`);
  }
  const tokens = new PatternParser(text, conditions).parse();
  const referenced = [...new Set(tokens.flatMap((t) => (t.kind === 'cond' ? [t.index] : [])))].sort((a, b) => a - b);
  return { text, tokens, referenced };
}

/** The sequences endpoint's pattern (§8); `.*(?t<=N)` is never emitted because it limits nothing. */
export function stepsPattern(steps: number, limits: readonly (number | null)[]): string {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`stepsPattern: steps must be >= 1, got ${steps}`);
  if (limits.length !== steps - 1) throw new RangeError(`stepsPattern: ${steps} steps need ${steps - 1} limits`);
  let out = '(?1)';
  for (let i = 2; i <= steps; i++) {
    const limit = limits[i - 2] ?? null;
    if (limit !== null && !(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`stepsPattern: limit ${limit} is not a whole number of seconds`);
    }
    out += `${limit === null ? '.*' : `(?t<=${limit})`}(?${i})`;
  }
  return out;
}

// ---- matching --------------------------------------------------------------------------

/** Relevant events (mask ≠ 0) in (ts, arrival) order. */
interface Events {
  ts: Float64Array;
  mask: Int32Array;
  n: number;
}

function relevantEvents(ts: ArrayLike<number>, masks: ArrayLike<number>): Events {
  const rows = Math.min(ts.length, masks.length);
  const keep: number[] = [];
  let sorted = true;
  for (let i = 0; i < rows; i++) {
    if ((masks[i] ?? 0) === 0) continue;
    const last = keep.at(-1);
    if (last !== undefined && (ts[last] ?? 0) > (ts[i] ?? 0)) sorted = false;
    keep.push(i);
  }
  // The contract says rows come sorted; if not, the given order serves as arrival.
  if (!sorted) keep.sort((a, b) => (ts[a] ?? 0) - (ts[b] ?? 0) || a - b);
  const n = keep.length;
  const out: Events = { ts: new Float64Array(n), mask: new Int32Array(n), n };
  keep.forEach((row, i) => {
    out.ts[i] = ts[row] ?? 0;
    out.mask[i] = masks[row] ?? 0;
  });
  return out;
}

const SKIPPABLE = (t: PatternToken) =>
  t.kind === 'anyRun' || (t.kind === 'time' && (t.op === '<' || t.op === '<=' || (t.op === '>=' && t.seconds === 0)));

/** First index in [lo, n) whose ts is > v (strict) or >= v; ts is sorted. */
function bound(ts: Float64Array, lo: number, v: number, strict: boolean): number {
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = ts[mid] ?? 0;
    if (strict ? x <= v : x < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The depth-first search of §5 over states (token i, position p, reference r). The
 * reference is always p (after `.*`, a time token, or at the start) or p-1 (after
 * consuming an event), so a state is (i, p, p-r). A state's outcome never depends on how it
 * was reached and the search stops at the first success, so every state evaluated twice
 * had failed: failures are memoised, which makes the work polynomial.
 */
class Matcher {
  private readonly tokens: PatternToken[];
  /** skippableFrom[i]: tokens i.. all succeed on exhausted events. */
  private readonly skippableFrom: boolean[];
  private readonly failed: Uint8Array;
  /**
   * Per token i, pointers past positions q whose state (i, q, r = q) has failed, so the
   * loops of `.*` and time tokens skip them instead of re-testing each one: a value v ≠ 0
   * at [i][q] means "continue at v - 1"; 0 means q itself is not known to fail.
   */
  private readonly next: Int32Array;
  private readonly width: number;
  private steps = 0;
  /** Where the last successful attempt ended. */
  end = 0;

  constructor(
    p: Pattern,
    private readonly ev: Events,
  ) {
    this.tokens = [{ kind: 'anyRun' }, ...p.tokens];
    const t = this.tokens.length;
    this.skippableFrom = new Array<boolean>(t + 1).fill(true);
    for (let i = t - 1; i >= 0; i--) {
      const token = this.tokens[i];
      this.skippableFrom[i] = token !== undefined && SKIPPABLE(token) && this.skippableFrom[i + 1] === true;
    }
    this.width = ev.n + 1;
    this.failed = new Uint8Array((t + 1) * this.width * 2);
    this.next = new Int32Array((t + 1) * this.width);
  }

  /** Whether an attempt from event s (reference s) succeeds; sets `end`. */
  attempt(s: number): boolean {
    return this.state(0, s, s);
  }

  private state(i: number, p: number, r: number): boolean {
    const key = (i * this.width + p) * 2 + (p - r);
    if (this.failed[key] === 1) return false;
    if (++this.steps > MAX_STEPS) {
      throw new PatternTooExpensive(`pattern: too expensive to evaluate (more than ${MAX_STEPS} steps)`);
    }
    const ok = this.evaluate(i, p, r);
    if (!ok) {
      this.failed[key] = 1;
      if (p === r && p < this.ev.n) this.next[i * this.width + p] = p + 2;
    }
    return ok;
  }

  private evaluate(i: number, p: number, r: number): boolean {
    const token = this.tokens[i];
    if (token === undefined) {
      this.end = p;
      return true;
    }
    const { n, ts, mask } = this.ev;
    if (p === n) {
      this.end = n;
      return this.skippableFrom[i] === true;
    }
    switch (token.kind) {
      case 'cond':
        return (((mask[p] ?? 0) >>> (token.index - 1)) & 1) === 1 && this.state(i + 1, p + 1, p);
      case 'any':
        return this.state(i + 1, p + 1, p);
      case 'anyRun':
        return this.tryEach(i + 1, p, n);
      case 'time':
        return this.tryTime(i + 1, token, p, (ts[r] ?? 0) + token.seconds);
    }
  }

  /** `(?t op X)`: the q ≥ p with ts[q] op ts[r] + X form one range, since ts is sorted. */
  private tryTime(j: number, token: Extract<PatternToken, { kind: 'time' }>, p: number, v: number): boolean {
    const ts = this.ev.ts;
    switch (token.op) {
      case '<=':
        return this.tryEach(j, p, bound(ts, p, v, true));
      case '<':
        return this.tryEach(j, p, bound(ts, p, v, false));
      case '>=':
        return this.tryEach(j, bound(ts, p, v, false), this.ev.n);
      case '>':
        return this.tryEach(j, bound(ts, p, v, true), this.ev.n);
      case '==':
        return this.tryEach(j, bound(ts, p, v, false), bound(ts, p, v, true));
    }
  }

  /** Tries (j, q, r = q) for q = from, from+1, … < to in order; the first success wins. */
  private tryEach(j: number, from: number, to: number): boolean {
    for (let q = this.skip(j, from); q < to; q = this.skip(j, q + 1)) {
      if (this.state(j, q, q)) return true;
    }
    return false;
  }

  /** The first q' ≥ q whose state (j, q', q') is not known to fail, with path compression. */
  private skip(j: number, q: number): number {
    const base = j * this.width;
    let x = q;
    while (x < this.ev.n && (this.next[base + x] ?? 0) !== 0) x = (this.next[base + x] ?? 0) - 1;
    let y = q;
    while (y < x) {
      const following = (this.next[base + y] ?? 0) - 1;
      this.next[base + y] = x + 1;
      y = following;
    }
    return x;
  }
}

/** Quick reject: every condition the pattern names must hold for some relevant event. */
function couldMatch(p: Pattern, ev: Events): boolean {
  let any = 0;
  for (let i = 0; i < ev.n; i++) any |= ev.mask[i] ?? 0;
  return p.referenced.every((k) => ((any >>> (k - 1)) & 1) === 1);
}

/** Whether the visitor's relevant events (mask ≠ 0, in (ts, arrival) order) contain the pattern. */
export function sequenceMatch(p: Pattern, ts: ArrayLike<number>, masks: ArrayLike<number>): boolean {
  const ev = relevantEvents(ts, masks);
  if (ev.n === 0 || !couldMatch(p, ev)) return false;
  return new Matcher(p, ev).attempt(0);
}

/** Non-overlapping, leftmost occurrences of the pattern. */
export function sequenceCount(p: Pattern, ts: ArrayLike<number>, masks: ArrayLike<number>): number {
  const ev = relevantEvents(ts, masks);
  if (ev.n === 0 || !couldMatch(p, ev)) return 0;
  const m = new Matcher(p, ev);
  let count = 0;
  // Like ClickHouse, no attempt starts at the end of the events: a pattern that can
  // match without consuming anything would otherwise match there forever.
  let s = 0;
  while (s < ev.n && m.attempt(s)) {
    count++;
    s = m.end > s ? m.end : s + 1;
  }
  return count;
}
