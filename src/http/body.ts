/** JSON request bodies checked against a zod schema: a 400 naming the field, never a 500. */
import type { z } from 'zod';
import { fieldPath } from '../field-path.js';
import { badRequest } from './errors.js';

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (!issue) throw badRequest('body: invalid');
  if (issue.code === 'unrecognized_keys') throw badRequest(`${fieldPath([...issue.path, issue.keys[0] ?? ''])}: unknown field`);
  if (issue.path.length === 0) throw badRequest('body: expected a JSON object');
  throw badRequest(`${fieldPath(issue.path)}: ${issue.message}`);
}
