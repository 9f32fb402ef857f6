/**
 * Whether the server answers. A request that cannot reach it marks it unreachable; from
 * then on `/health` is asked every few seconds (or at once with `retryNow`) until it
 * answers, and everyone waiting — the banner, the panels whose requests failed — hears of it
 * and asks again. No request is repeated blindly: only the probe runs while the server is away.
 */

const PROBE_MS = 3000;

let down = false;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<(down: boolean) => void>();

export const isUnreachable = () => down;

/** Calls `fn(down)` on every change; returns the unsubscribe. */
export function onConnection(fn: (down: boolean) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function set(now: boolean): void {
  if (down === now) return;
  down = now;
  for (const fn of listeners) fn(now);
}

export function unreachable(): void {
  set(true);
  timer ??= setTimeout(retryNow, PROBE_MS);
}

/** Asks `/health` now; the next probe follows in a few seconds while it does not answer. */
export async function retryNow(): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  let ok = false;
  try {
    ok = (await fetch('/health', { cache: 'no-store' })).ok;
  } catch {
    // still away
  }
  if (ok) set(false);
  else unreachable();
}

/** Any answer from the server shows it is back. */
export const reachable = () => set(false);
