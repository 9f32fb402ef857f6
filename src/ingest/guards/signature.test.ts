import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, verifySignature } from './signature.js';

const BODY = Buffer.from('[{"d":"example.com","n":"pageview","u":"https://example.com/"}]');
const SECRET = 'a-signing-secret-0123';
const OTHER = 'another-secret-456789';
const hex = (secret: string, body: Buffer | string = BODY) => createHmac('sha256', secret).update(body).digest('hex');

describe('sign', () => {
  it('is sha256=<lowercase hex HMAC-SHA256> (RFC 4231 test case 2)', () => {
    expect(sign('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('verifySignature', () => {
  type Case = [string, string | string[] | undefined, readonly string[], string | null];
  const CASES: Case[] = [
    ['correct', sign(BODY, SECRET), [SECRET], null],
    ['upper-case hex', `sha256=${hex(SECRET).toUpperCase()}`, [SECRET], null],
    ['surrounding spaces', `  ${sign(BODY, SECRET)} `, [SECRET], null],
    ['missing', undefined, [SECRET], 'X-Mallard-Signature: missing'],
    ['empty', '', [SECRET], 'X-Mallard-Signature: missing'],
    ['wrong secret', sign(BODY, OTHER), [SECRET], 'X-Mallard-Signature: does not match'],
    ['another body', sign(`${BODY} `, SECRET), [SECRET], 'X-Mallard-Signature: does not match'],
    ['no prefix', hex(SECRET), [SECRET], 'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>'],
    ['sha1 prefix', `sha1=${hex(SECRET)}`, [SECRET], 'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>'],
    [
      'truncated',
      sign(BODY, SECRET).slice(0, -2),
      [SECRET],
      'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>',
    ],
    ['too long', `${sign(BODY, SECRET)}00`, [SECRET], 'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>'],
    ['not hex', `sha256=${'z'.repeat(64)}`, [SECRET], 'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>'],
    [
      'base64 instead of hex',
      `sha256=${createHmac('sha256', SECRET).update(BODY).digest('base64')}`,
      [SECRET],
      'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>',
    ],
    ['two secrets, both signed', `${sign(BODY, SECRET)}, ${sign(BODY, OTHER)}`, [SECRET, OTHER], null],
    ['two secrets, in either order', `${sign(BODY, OTHER)},${sign(BODY, SECRET)}`, [SECRET, OTHER], null],
    ['two secrets, as two headers', [sign(BODY, SECRET), sign(BODY, OTHER)], [SECRET, OTHER], null],
    ['two secrets, one signed', sign(BODY, SECRET), [SECRET, OTHER], 'X-Mallard-Signature: does not match'],
    ['one secret, an extra signature', `${sign(BODY, OTHER)}, ${sign(BODY, SECRET)}`, [SECRET], null],
    ['the same secret for two sites', sign(BODY, SECRET), [SECRET, SECRET], null],
  ];

  it.each(CASES)('%s', (_name, header, secrets, error) => {
    const verdict = verifySignature(header, BODY, secrets);
    if (error === null) expect(verdict.ok).toBe(true);
    else expect(verdict).toEqual({ ok: false, error });
  });

  it('signs the bytes, not a re-encoding of them', () => {
    const latin = Buffer.from([0x5b, 0x22, 0xe9, 0x22, 0x5d]); // ["é"] in Latin-1: not UTF-8
    const header = `sha256=${hex(SECRET, latin)}`;
    expect(verifySignature(header, latin, [SECRET]).ok).toBe(true);
    expect(verifySignature(header, Buffer.from(latin.toString('utf8')), [SECRET]).ok).toBe(false);
  });

  it('gives the same replay key for the same signed body, and another for another body', () => {
    const a = verifySignature(sign(BODY, SECRET), BODY, [SECRET]);
    const b = verifySignature(` ${sign(BODY, SECRET)}`, BODY, [SECRET]);
    const other = Buffer.from(`${BODY}\n`);
    const c = verifySignature(sign(other, SECRET), other, [SECRET]);
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (a.ok && b.ok && c.ok) {
      expect(a.key).toBe(b.key);
      expect(a.key).not.toBe(c.key);
    }
  });
});
