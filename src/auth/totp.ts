/**
 * Two-factor sign-in (docs/API.md, "Two-factor sign-in"): time-based one-time passwords
 * (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, as every authenticator app reads them)
 * computed by the `otpauth` library, and ten single-use recovery codes. A secret is pending
 * from setup until a code from it enables it; from then on the user's every sign-in needs a
 * code. A code is accepted one step early or late (clock drift) and only once: the step it
 * was for is remembered, and no code of that step or an earlier one passes again. Recovery
 * codes are stored as SHA-256 only and each works once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { renderSVG } from 'uqr';
import { conflict, invalidInput } from '../errors.js';
import type { MetadataDb } from '../storage/metadata.js';

const ISSUER = 'Mallard Metrics';
const PERIOD_SECS = 30;
const RECOVERY_CODES = 10;

export interface TotpSetup {
  /** Base32, for typing into an app by hand. */
  secret: string;
  otpauth_url: string;
  /** The URL as a QR code, an SVG image. */
  qr_svg: string;
}

const totpOf = (secret: string, label: string) =>
  new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECS, secret: Secret.fromBase32(secret) });

/** A recovery code as typed: case, spaces and dashes do not matter. */
const normalized = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');
const digest = (code: string) => createHash('sha256').update(normalized(code)).digest('hex');

/** `xxxxx-xxxxx` from 50 random bits, in an alphabet without look-alikes. */
function recoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export class TwoFactor {
  constructor(private readonly db: MetadataDb) {}

  async enabled(userId: string): Promise<boolean> {
    const rows = await this.db.all<{ enabled: boolean }>('SELECT enabled FROM user_totp WHERE user_id = $1', [userId]);
    return rows[0]?.enabled === true;
  }

  /** A new pending secret (replacing a pending one); 409 when two-factor sign-in is already on. */
  async setup(userId: string, label: string): Promise<TotpSetup> {
    if (await this.enabled(userId)) throw conflict('two-factor sign-in is already enabled; turn it off first');
    const secret = new Secret({ size: 20 }).base32;
    await this.db.transaction([
      ['DELETE FROM user_totp WHERE user_id = $1', [userId]],
      [
        'INSERT INTO user_totp (user_id, secret, enabled, last_step, created_at) VALUES ($1, $2, FALSE, NULL, $3::TIMESTAMP)',
        [userId, secret, new Date().toISOString()],
      ],
    ]);
    const url = totpOf(secret, label).toString();
    return { secret, otpauth_url: url, qr_svg: renderSVG(url) };
  }

  /** Turns the pending secret on with a code from it; returns the recovery codes (shown once). */
  async enable(userId: string, code: string, now = Date.now()): Promise<string[]> {
    const row = await this.row(userId);
    if (!row) throw conflict('two-factor sign-in is not set up: ask for a secret first');
    if (row.enabled) throw conflict('two-factor sign-in is already enabled');
    const step = this.match(row.secret, code, null, now);
    if (step === null) throw invalidInput('code: not the current code of this secret (is the device clock right?)');
    const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode);
    await this.db.transaction([
      ['UPDATE user_totp SET enabled = TRUE, last_step = $2 WHERE user_id = $1', [userId, step]],
      ['DELETE FROM recovery_codes WHERE user_id = $1', [userId]],
      ...codes.map(
        (c) => ['INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)', [userId, digest(c)]] as const,
      ),
    ]);
    return codes;
  }

  /**
   * Whether `code` is the user's current code (not used before) or an unused recovery code;
   * either is used up by passing.
   */
  async verify(userId: string, code: string, now = Date.now()): Promise<boolean> {
    const row = await this.row(userId);
    if (!row?.enabled) return false;
    const step = this.match(row.secret, code, row.lastStep, now);
    if (step !== null) {
      // Only the update that moves the step forward wins: two sign-ins with one code, one passes.
      const moved = await this.db.all(
        'UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2) RETURNING 1 AS n',
        [userId, step],
      );
      return moved.length === 1;
    }
    const used = await this.db.all(
      `UPDATE recovery_codes SET used_at = $3::TIMESTAMP WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1 AS n`,
      [userId, digest(code), new Date(now).toISOString()],
    );
    return used.length === 1;
  }

  async disable(userId: string): Promise<void> {
    await this.db.transaction([
      ['DELETE FROM user_totp WHERE user_id = $1', [userId]],
      ['DELETE FROM recovery_codes WHERE user_id = $1', [userId]],
    ]);
  }

  /** Recovery codes not used yet. */
  async recoveryCodesLeft(userId: string): Promise<number> {
    const rows = await this.db.all<{ n: bigint | number }>(
      'SELECT count(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  private async row(userId: string): Promise<{ secret: string; enabled: boolean; lastStep: number | null } | undefined> {
    const rows = await this.db.all<{ secret: string; enabled: boolean; last_step: bigint | number | null }>(
      'SELECT secret, enabled, last_step FROM user_totp WHERE user_id = $1',
      [userId],
    );
    const r = rows[0];
    return r && { secret: r.secret, enabled: r.enabled, lastStep: r.last_step === null ? null : Number(r.last_step) };
  }

  /** The step a 6-digit code is for (this one, or one either side), if after `after`; else null. */
  private match(secret: string, code: string, after: number | null, now: number): number | null {
    const token = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(token)) return null;
    const delta = totpOf(secret, '').validate({ token, timestamp: now, window: 1 });
    if (delta === null) return null;
    const step = Math.floor(now / 1000 / PERIOD_SECS) + delta;
    return after !== null && step <= after ? null : step;
  }
}
