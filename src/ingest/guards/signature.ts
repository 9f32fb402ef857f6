/**
 * Signed batches: `X-Mallard-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw body>`
 * with a site's signing secret. A batch writing to several sites with different secrets
 * carries one `sha256=` value per secret, comma-separated. Digests are compared with
 * `timingSafeEqual` on equal-length buffers, never as strings.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-mallard-signature';

const VALUE = /^sha256=([0-9a-f]{64})$/i;

/** The header value for `body` signed with `secret`. */
export function sign(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Checks that every secret signed `body`. `key` identifies the signed batch (the expected
 * digests), for replay detection; `error` is the message of a 401.
 */
export type Verdict = { ok: true; key: string } | { ok: false; error: string };

export function verifySignature(header: string | string[] | undefined, body: Buffer, secrets: readonly string[]): Verdict {
  const values = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (values.length === 0) return { ok: false, error: 'X-Mallard-Signature: missing' };
  const given: Buffer[] = [];
  for (const v of values) {
    const hex = VALUE.exec(v)?.[1];
    if (hex === undefined) return { ok: false, error: 'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>' };
    given.push(Buffer.from(hex, 'hex'));
  }
  const expected = [...new Set(secrets)].map((s) => createHmac('sha256', s).update(body).digest());
  let all = true;
  for (const digest of expected) {
    let found = false;
    for (const g of given) found = timingSafeEqual(g, digest) || found;
    all = all && found;
  }
  if (!all) return { ok: false, error: 'X-Mallard-Signature: does not match' };
  return {
    ok: true,
    key: expected
      .map((d) => d.toString('hex'))
      .sort()
      .join(','),
  };
}
