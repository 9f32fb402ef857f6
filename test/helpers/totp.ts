/**
 * RFC 6238 one-time passwords computed here, apart from the server's library, so a test
 * checks the server against the standard: HMAC-SHA1 over the 30-second step, dynamic
 * truncation (RFC 4226 §5.3), 6 digits.
 */
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = BASE32.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => Number.parseInt(b, 2)));
}

/** The code of a 30-second step (`floor(unix seconds / 30)`). */
export function totpAt(secretBase32: string, step: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secretBase32)).update(message).digest();
  const o = (h[19] ?? 0) & 0xf;
  const n = (((h[o] ?? 0) & 0x7f) << 24) | ((h[o + 1] ?? 0) << 16) | ((h[o + 2] ?? 0) << 8) | (h[o + 3] ?? 0);
  return String(n % 10 ** digits).padStart(digits, '0');
}

/** The current step. */
export const stepNow = () => Math.floor(Date.now() / 30_000);
