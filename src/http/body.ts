/** JSON request bodies checked against a zod schema: a 400 naming the field, never a 500. */
import type { z } from 'zod';
import { badRequest } from './errors.js';

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (!issue) throw badRequest('body: invalid');
  if (issue.code === 'unrecognized_keys') throw badRequest(`${issue.keys[0]}: unknown field`);
  if (issue.path.length === 0) throw badRequest('body: expected a JSON object');
  const [head, ...rest] = issue.path;
  throw badRequest(`${String(head)}${rest.map((p) => `[${String(p)}]`).join('')}: ${issue.message}`);
}
