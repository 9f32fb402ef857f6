/**
 * A field named by a validation issue's path, as error messages spell it: `shields.ips[2]`
 * (object keys joined with `.`, list indexes in brackets).
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}
