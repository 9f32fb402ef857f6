/**
 * Which plan answered each statement of a request (`rollup`, `events`), collected per
 * request so the HTTP layer can report it (the `X-Mallard-Plan` header) without every
 * query function passing a collector along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<string[]>();

/** Runs fn with a fresh plan list; returns its result and the plans used, in order. */
export async function tracePlans<T>(fn: () => Promise<T>): Promise<{ result: T; plans: string[] }> {
  const plans: string[] = [];
  const result = await store.run(plans, fn);
  return { result, plans };
}

export function notePlan(plan: string): void {
  store.getStore()?.push(plan);
}
