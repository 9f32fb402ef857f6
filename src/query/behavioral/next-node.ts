/**
 * ClickHouse `sequenceNextNode` for one visitor (docs/BEHAVIORAL.md §6), written plainly as the
 * reference oracle for the SQL of the flow endpoint, plus `flowPath`, the per-visitor path
 * that endpoint counts (§8 "Flow").
 */

export type Direction = 'forward' | 'backward';
export type Base = 'head' | 'tail' | 'first_match' | 'last_match';

export interface NodeRow {
  ts: number;
  value: string | null;
  arrival: number;
  base: boolean;
  /** event1..eventK for this row. */
  events: readonly boolean[];
}

const MAX_EVENTS = 64;

/**
 * Orders strings by their UTF-8 bytes (DuckDB's VARCHAR order), which is code point
 * order. JS `<` compares UTF-16 units and puts U+10000.. before U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    if (a.charCodeAt(i) === b.charCodeAt(i)) continue;
    // At the first differing unit, codePointAt yields the full code point for a high
    // surrogate; two differing low surrogates share their high one and compare as units.
    return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}

type Node = NodeRow & { value: string };

function nodesOf(rows: readonly NodeRow[]): Node[] {
  const nodes = rows.filter((r): r is Node => r.value !== null);
  return nodes.sort((x, y) => x.ts - y.ts || compareUtf8(x.value, y.value) || x.arrival - y.arrival);
}

const event = (node: Node | undefined, i: number) => node?.events[i] === true;

function baseIndex(base: Base, nodes: readonly Node[]): number {
  const qualifies = (node: Node) => node.base && event(node, 0);
  switch (base) {
    case 'head':
      return nodes[0]?.base ? 0 : -1;
    case 'tail':
      return nodes.at(-1)?.base ? nodes.length - 1 : -1;
    case 'first_match':
      return nodes.findIndex(qualifies);
    case 'last_match':
      return nodes.findLastIndex(qualifies);
  }
}

function validate(direction: Direction, base: Base, k: number): void {
  if (direction === 'forward' && base === 'tail') throw new Error('sequenceNextNode: forward with tail is not allowed');
  if (direction === 'backward' && base === 'head') throw new Error('sequenceNextNode: backward with head is not allowed');
  if ((base === 'first_match' || base === 'last_match') && k < 1) {
    throw new Error(`sequenceNextNode: ${base} needs at least one event condition`);
  }
  if (!Number.isInteger(k) || k < 0 || k > MAX_EVENTS) throw new Error(`sequenceNextNode: 0 to ${MAX_EVENTS} events, got ${k}`);
}

/** The value of the node after (before) the base's adjacent chain of event1..eventK, or null. */
export function sequenceNextNode(direction: Direction, base: Base, rows: readonly NodeRow[], k: number): string | null {
  validate(direction, base, k);
  const nodes = nodesOf(rows);
  if (nodes.length <= k) return null;
  const b = baseIndex(base, nodes);
  if (b < 0) return null;
  const step = direction === 'forward' ? 1 : -1;
  // Only this base is tried: a broken chain is no answer, even if a later base would do.
  for (let i = 0; i < k; i++) if (!event(nodes[b + i * step], i)) return null;
  return nodes[b + k * step]?.value ?? null;
}

/**
 * Up to `depth` pages right after (forward) or right before (backward, nearest first) the
 * visitor's first view of `page`. `pages` must already be in (ts, pathname, arrival) order.
 */
export function flowPath(pages: readonly string[], page: string, direction: Direction, depth: number): string[] {
  const first = pages.indexOf(page);
  if (first < 0 || depth <= 0) return [];
  if (direction === 'forward') return pages.slice(first + 1, first + 1 + depth);
  return pages.slice(Math.max(0, first - depth), first).reverse();
}
