/**
 * Request validation for both ingestion endpoints. Accepts Plausible's short field names
 * and the long ones, enforces length limits (never truncates), and names the offending
 * field in the error. The output carries ip/user agent only as far as the pipeline.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DomainError } from '../errors.js';
import { isSiteId } from '../site-id.js';
import type { DropReason } from './event.js';

export const LIMITS = {
  siteId: 253,
  sitesPerEvent: 10,
  name: 120,
  url: 2048,
  referrer: 2048,
  propKeys: 30,
  propKey: 300,
  propValue: 2000,
  userAgent: 1024,
  userId: 256,
  futureMs: 5 * 60_000,
  /** An engagement event's `e` (engaged ms) above this is taken as this: a tab left open, not reading. */
  engagedMs: 30 * 60_000,
} as const;

/** A 400 naming the offending field. */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly reason: DropReason = 'invalid',
  ) {
    super('invalid', message);
  }
}

const str = (max: number) => z.string().max(max, `longer than ${max} characters`);

const propsObject = z
  .record(str(LIMITS.propKey).min(1, 'empty property name'), z.union([str(LIMITS.propValue), z.number(), z.boolean(), z.null()]))
  .refine((o) => Object.keys(o).length <= LIMITS.propKeys, `more than ${LIMITS.propKeys} properties`)
  .transform((o) => {
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) if (val !== null) out[k] = String(val);
    return out;
  });

/** Props arrive as an object or, from some trackers, as a JSON string of one. */
const propsSchema = z.unknown().transform((v, ctx): Record<string, string> => {
  let obj: unknown = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a JSON object' });
      return z.NEVER;
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    ctx.addIssue({ code: 'custom', message: 'must be an object of string, number or boolean values' });
    return z.NEVER;
  }
  const parsed = propsObject.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
    const nested = issue?.code === 'invalid_union' ? 'values must be strings, numbers or booleans' : issue?.message;
    ctx.addIssue({ code: 'custom', message: `${nested ?? 'invalid'}${where}` });
    return z.NEVER;
  }
  return parsed.data;
});

const amount = z
  .union([z.number().finite(), z.string()])
  .transform((v) => String(v).trim())
  .refine((v) => /^-?\d{1,14}(\.\d{1,4})?$/.test(v), 'must be a number with at most 14 digits and 4 decimals');
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a 3-letter ISO 4217 code')
  .transform((c) => c.toUpperCase());

const eventSchema = z
  .object({
    d: str(LIMITS.siteId * LIMITS.sitesPerEvent).optional(),
    domain: str(LIMITS.siteId * LIMITS.sitesPerEvent).optional(),
    n: str(LIMITS.name).min(1).optional(),
    name: str(LIMITS.name).min(1).optional(),
    u: str(LIMITS.url).optional(),
    url: str(LIMITS.url).optional(),
    r: str(LIMITS.referrer).nullable().optional(),
    referrer: str(LIMITS.referrer).nullable().optional(),
    w: z.number().int().min(0).max(100_000).nullable().optional(),
    p: propsSchema.nullable().optional(),
    props: propsSchema.nullable().optional(),
    m: propsSchema.nullable().optional(),
    revenue: z.object({ amount, currency }).nullable().optional(),
    // Plausible's scripts (and its npm tracker) send revenue as `$`.
    $: z.object({ amount, currency }).nullable().optional(),
    ra: amount.nullable().optional(),
    rc: currency.nullable().optional(),
    h: z
      .union([z.literal(0), z.literal(1), z.boolean()])
      .nullable()
      .optional(),
    // Engagement events (Plausible's script): scroll depth in % and engaged time in ms.
    sd: z.number().int().min(0).max(100).nullable().optional(),
    e: z.number().int().min(0).nullable().optional(),
    // server-side batch only
    timestamp: z.union([z.string().max(40), z.number().finite()]).optional(),
    ip: str(45).optional(),
    user_agent: str(LIMITS.userAgent).optional(),
    user_id: str(LIMITS.userId).min(1).optional(),
  })
  .passthrough();

/**
 * Visitor attributes an import already has (another product's export, which parsed them and
 * kept no IP or User-Agent): used instead of deriving them. Never set from an HTTP request.
 */
export interface KnownAttributes {
  /** Stands for the IP and User-Agent in the visitor hash (hashed with the day's salt, never stored). */
  visitor: string;
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  /** Desktop, Laptop, Mobile or Tablet; the screen width decides when the event has one. */
  device: string | null;
  countryCode: string | null;
  region: string | null;
  city: string | null;
  regionCode?: string | null;
  cityGeonameId?: string | null;
}

/** The validated request, before enrichment; one per site named in `d`. */
export interface ValidatedEvent {
  siteIds: string[];
  name: string;
  url: string;
  referrer: string | null;
  screenWidth: number | null;
  props: Record<string, string> | null;
  revenueAmount: string | null;
  revenueCurrency: string | null;
  hashMode: boolean;
  /** `sd` and `e` (capped at LIMITS.engagedMs); stored on engagement events only. */
  scrollDepth?: number | null;
  engagedMs?: number | null;
  timestamp: Date | null;
  ip: string | null;
  userAgent: string | null;
  userId: string | null;
  /** Imports only (KnownAttributes). */
  known?: KnownAttributes;
}

type ParsedEvent = z.output<typeof eventSchema>;

/** Text fields: [longest, shortest]. */
const TEXT_FIELDS: Readonly<Record<string, readonly [number, number]>> = {
  d: [LIMITS.siteId * LIMITS.sitesPerEvent, 0],
  domain: [LIMITS.siteId * LIMITS.sitesPerEvent, 0],
  n: [LIMITS.name, 1],
  name: [LIMITS.name, 1],
  u: [LIMITS.url, 0],
  url: [LIMITS.url, 0],
  ip: [45, 0],
  user_agent: [LIMITS.userAgent, 0],
  user_id: [LIMITS.userId, 1],
};

const isText = (v: unknown, [max, min]: readonly [number, number]) => typeof v === 'string' && v.length <= max && v.length >= min;

/**
 * `eventSchema`'s result for the shapes nearly every event has (text fields within their
 * limits, a width, flat props), without the schema's per-field work: zod was a quarter of
 * the ingest pipeline's time. Anything else (revenue, a value of the wrong type, a limit
 * crossed) returns null, and the schema decides, with its own error message; a test checks
 * that both agree wherever this answers.
 */
export function parsedFast(input: Record<string, unknown>): ParsedEvent | null {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    const v = input[key];
    if (v === undefined) continue;
    const text = TEXT_FIELDS[key];
    if (text) {
      if (!isText(v, text)) return null;
    } else if (key === 'r' || key === 'referrer') {
      if (v !== null && !isText(v, [LIMITS.referrer, 0])) return null;
    } else if (key === 'w') {
      if (v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100_000)) return null;
    } else if (key === 'p' || key === 'props' || key === 'm') {
      if (v !== null) {
        const props = flatProps(v);
        if (props === null) return null;
        out[key] = props;
        continue;
      }
    } else if (key === 'h') {
      if (!(v === 0 || v === 1 || v === true || v === false || v === null)) return null;
    } else if (key === 'sd') {
      if (v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100)) return null;
    } else if (key === 'e') {
      if (v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) return null;
    } else if (key === 'timestamp') {
      if (!((typeof v === 'string' && v.length <= 40) || (typeof v === 'number' && Number.isFinite(v)))) return null;
    } else if (key === 'revenue' || key === '$' || key === 'ra' || key === 'rc') {
      return null;
    }
    out[key] = v;
  }
  return out as ParsedEvent;
}

/** Props as `propsSchema` returns them, for an object (or its JSON text) of valid flat values; otherwise null. */
function flatProps(v: unknown): Record<string, string> | null {
  let obj = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
  const keys = Object.keys(obj);
  if (keys.length > LIMITS.propKeys) return null;
  const out: Record<string, string> = {};
  for (const k of keys) {
    const val = (obj as Record<string, unknown>)[k];
    if (k.length === 0 || k.length > LIMITS.propKey || k === '__proto__') return null;
    if (typeof val === 'string') {
      if (val.length > LIMITS.propValue) return null;
      out[k] = val;
    } else if ((typeof val === 'number' && Number.isFinite(val)) || typeof val === 'boolean') out[k] = String(val);
    else if (val !== null) return null;
  }
  return out;
}

/** The schema's result, or the ValidationError naming the first problem it found. */
export function parsedBySchema(input: unknown): ParsedEvent {
  const parsed = eventSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.filter((p) => typeof p === 'string' || typeof p === 'number').join('.') || 'body';
    throw new ValidationError(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function validateEvent(input: unknown, opts: { batch: boolean; now?: number }): ValidatedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ValidationError('body must be a JSON object');
  const e = parsedFast(input as Record<string, unknown>) ?? parsedBySchema(input);
  const domains = e.d ?? e.domain;
  if (!domains) throw new ValidationError('d: required');
  const siteIds = [
    ...new Set(
      domains
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s.length > 0),
    ),
  ];
  if (siteIds.length === 0) throw new ValidationError('d: required');
  if (siteIds.length > LIMITS.sitesPerEvent) throw new ValidationError(`d: more than ${LIMITS.sitesPerEvent} sites`);
  for (const s of siteIds) {
    if (!isSiteId(s)) throw new ValidationError('d: not a valid site id (letters, digits, ".", "-", "_")');
  }
  const name = e.n ?? e.name;
  if (!name) throw new ValidationError('n: required');
  const url = e.u ?? e.url;
  if (!url) throw new ValidationError('u: required');
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) throw new ValidationError('u: not an http(s) URL');

  const revenue = e.revenue ?? e.$;
  const amountText = revenue?.amount ?? e.ra ?? null;
  const currencyText = revenue?.currency ?? e.rc ?? null;
  if ((amountText === null) !== (currencyText === null)) throw new ValidationError('revenue: amount and currency go together');

  let timestamp: Date | null = null;
  if (e.timestamp !== undefined) {
    if (!opts.batch) throw new ValidationError('timestamp: only accepted by /api/events');
    timestamp = typeof e.timestamp === 'number' ? new Date(e.timestamp) : parseIsoTime(e.timestamp);
    if (!timestamp || Number.isNaN(timestamp.getTime()) || timestamp.getUTCFullYear() < 1970) {
      throw new ValidationError('timestamp: not an ISO 8601 time or epoch milliseconds');
    }
    if (timestamp.getTime() > (opts.now ?? Date.now()) + LIMITS.futureMs) {
      throw new ValidationError('timestamp: more than 5 minutes in the future', 'future_timestamp');
    }
  }
  if (e.ip !== undefined && isIP(e.ip) === 0) throw new ValidationError('ip: not an IP address');
  if (!opts.batch && (e.ip !== undefined || e.user_agent !== undefined || e.user_id !== undefined)) {
    throw new ValidationError('ip/user_agent/user_id: only accepted by /api/events');
  }

  return {
    siteIds,
    name,
    url,
    referrer: (e.r ?? e.referrer) || null,
    screenWidth: e.w ?? null,
    props: e.p ?? e.props ?? e.m ?? null,
    revenueAmount: amountText,
    revenueCurrency: currencyText,
    hashMode: e.h === 1 || e.h === true,
    scrollDepth: e.sd ?? null,
    engagedMs: e.e === undefined || e.e === null ? null : Math.min(e.e, LIMITS.engagedMs),
    timestamp,
    ip: e.ip ?? null,
    userAgent: e.user_agent ?? null,
    userId: e.user_id ?? null,
  };
}

/** A date, optionally with a time, optionally with a zone: one match gives every part parseIsoTime checks. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:([T ])\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function parseIsoTime(s: string): Date | null {
  // Require a date, and treat a time without zone as UTC.
  const m = ISO_TIME.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date rolls 2026-02-30 over to March; a calendar date that does not exist is an error.
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 && leap ? 29 : (DAYS_IN_MONTH[mo - 1] ?? 0);
  if (y < 100 || d < 1 || d > days) return null; // years below 100 are not what Date makes of them
  const iso = m[4] === ' ' ? s.replace(' ', 'T') : s;
  return new Date(m[4] !== undefined && m[5] === undefined ? `${iso}Z` : iso);
}

/** Parses a request body (JSON object, JSON array, or NDJSON for batches). */
export function parseBody(text: string, batch: boolean): unknown[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new ValidationError('body: empty');
  if (!batch) {
    try {
      return [JSON.parse(trimmed)];
    } catch {
      throw new ValidationError('body: malformed JSON');
    }
  }
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(trimmed);
    } catch {
      throw new ValidationError('body: malformed JSON');
    }
    return arr as unknown[];
  }
  return trimmed.split('\n').map((line, i) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new ValidationError(`body: line ${i + 1} is malformed JSON`);
    }
  });
}
