import type { z } from 'zod';
import { invalidInput } from './errors.js';

/**
 * A field named by a validation issue's path, as error messages spell it: `shields.ips[2]`
 * (object keys joined with `.`, list indexes in brackets).
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/** Validates one field of an input against its rule; a 400 naming the field (and the nested part) otherwise. */
export function checkField<T>(schema: z.ZodType<T, unknown>, value: unknown, field: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    throw invalidInput(`${fieldPath([field, ...issue.path, issue.keys[0] ?? ''])}: unknown field`);
  }
  throw invalidInput(`${fieldPath([field, ...(issue?.path ?? [])])}: ${issue?.message ?? 'invalid'}`);
}
