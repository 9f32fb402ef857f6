/**
 * The one place that turns a failed answer into what a person reads: what happened and
 * what to do. The server's `{"error": "..."}` (docs/API.md) names the field; a few answers
 * get a plainer sentence, and each failure gets a kind, which says what the dashboard
 * offers beside the sentence (wait for the server, sign in, fix the page's address).
 */
import { filterLabel, parseFilters } from './filters.js';

export type ErrorKind =
  | 'unreachable'
  | 'signed-out'
  | 'forbidden'
  | 'rate-limited'
  | 'bad-parameter'
  | 'not-found'
  | 'unavailable'
  | 'failed';

export class ApiError extends Error {
  declare readonly status: number;
  declare readonly kind: ErrorKind;
  /** A `bad-parameter`'s query parameter (`filters` or `segment`) and, for one filter, its index. */
  declare readonly param?: string;
  declare readonly index?: number;
  constructor(status: number, message: string, kind: ErrorKind = 'failed', param?: string, index?: number) {
    super(message);
    // Assigned, not declared as parameter properties: those bring a class-field helper into the bundle.
    Object.assign(this, { status, kind, param, index });
  }
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export const UNREACHABLE = "Can't reach the Mallard Metrics server. Check that it is running, then try again.";
/** The banner while every request fails (components/errors.ts), asking again by itself. */
export const UNREACHABLE_RETRYING = "Can't reach the Mallard Metrics server. Check that it is running; retrying…";
/** Above the sign-in form when a request was refused for want of a session. */
export const SESSION_ENDED = 'Your session has ended. Sign in again to return to this page.';
/** What a sign-in answers when the account has two-factor sign-in and no code was given. */
export const CODE_NEEDED = 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.';

export const noRole = (site: string) => `Your account has no role on ${site}. Ask an owner of ${site} to invite you.`;
export const noSite = (site: string) => `There is no site ${site}. It may have been removed.`;

/**
 * The parameters of the page's address that reach the server as they were pasted (router.ts
 * checks the period, interval and comparison itself, and drops what it cannot read).
 */
const PAGE_PARAMS = ['filters', 'segment'];

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** A `Retry-After` in seconds as people say it: "45 seconds", "15 minutes", "2 hours". */
export function waitText(secs: number): string {
  if (secs < 60) return plural(secs, 'second');
  if (secs < 3600) return plural(Math.ceil(secs / 60), 'minute');
  const h = Math.floor(secs / 3600);
  const m = Math.ceil((secs % 3600) / 60);
  return m === 0 ? plural(h, 'hour') : m === 60 ? plural(h + 1, 'hour') : `${plural(h, 'hour')} ${plural(m, 'minute')}`;
}

/** Server messages that deserve a plainer sentence than the field-named original. */
const PLAIN: Record<string, string> = {
  'current_password: wrong password': 'The current password is wrong.',
  'new_password: at least 8 characters': 'The new password needs at least 8 characters.',
  'new_password: at most 256 characters': 'The new password can have at most 256 characters.',
  'wrong password': 'Wrong password.',
  'wrong e-mail address or password': 'Wrong e-mail address or password.',
  'totp required': CODE_NEEDED,
  'totp: wrong code': 'Wrong code: use the current code of your authenticator app, or an unused recovery code.',
};

export interface Answer {
  status: number;
  /** The server's `error`, when the answer had one. */
  message?: string;
  retryAfter: string | null;
  /** The request's query parameters (a refused filter is named from them). */
  params?: Record<string, unknown>;
  /** Asked through a share link: a 401 is the link's, not a session's. */
  shared?: boolean;
}

/** The error a failed answer becomes: its sentence and its kind. */
export function explain({ status, message, retryAfter, params = {}, shared }: Answer): ApiError {
  const fail = (text: string, kind: ErrorKind = 'failed', param?: string, index?: number) =>
    new ApiError(status, text, kind, param, index);
  const plain = message === undefined ? undefined : PLAIN[message];
  if (plain) return fail(plain);
  // No answer, a proxy's for a server that is down, or the server's own while it stops.
  if (status === 0 || status === 502 || status === 504 || (status === 503 && message === 'Service Unavailable'))
    return fail(UNREACHABLE, 'unreachable');
  const secs = Number(retryAfter);
  const later = Number.isFinite(secs) && secs > 0 ? `Try again in ${waitText(secs)}.` : 'Try again in a moment.';
  if (status === 401) {
    if (message?.startsWith('password: wrong password')) return fail('Wrong password for this account.');
    if (shared) return fail('This share link is invalid or has been revoked. Ask whoever shared it for a new one.');
    return fail('You are signed out. Sign in again.', 'signed-out');
  }
  if (status === 403) {
    const site = /^you have no role on (.+)$/.exec(message ?? '')?.[1];
    if (site) return fail(noRole(site), 'forbidden');
    const role = /^your role on (.+) \((\w+)\) does not allow this$/.exec(message ?? '');
    if (role)
      return fail(`Your role on ${role[1]} (${role[2]}) does not allow this. Ask an owner for another role.`, 'forbidden');
    return fail(`Not allowed: ${message}.`, 'forbidden');
  }
  if (status === 429) {
    const what = message?.startsWith('too many failed sign-in attempts')
      ? 'Too many wrong passwords from this address.'
      : 'Too many requests.';
    return fail(`${what} ${later}`, 'rate-limited');
  }
  // A 503 says why (storage out of reach, a query over the memory limit) and what to do.
  if (status === 503 && message)
    return fail(`The server cannot answer: ${message}.${retryAfter ? ` ${later}` : ''}`, 'unavailable');
  if (status >= 500)
    return fail(`The server had a problem (${status}). Try again; if it lasts, its log says why.`, 'unavailable');
  const [, param = '', index, why = ''] = /^(\w+)(?:\[(\d+)\])?: (.+)$/.exec(message ?? '') ?? [];
  if ((status === 400 || status === 404) && PAGE_PARAMS.includes(param) && param in params) {
    const i = index === undefined ? undefined : Number(index);
    const filter = i === undefined ? undefined : parseFilters(String(params.filters))[i];
    const what = filter ? `The filter “${filterLabel(filter)}”` : `The ${param} in this page's address`;
    return fail(`${what} cannot be used: ${why}.`, 'bad-parameter', param, filter ? i : undefined);
  }
  const missing = /^no site (.+)$/.exec(message ?? '')?.[1];
  if (missing) return fail(noSite(missing), 'not-found');
  if (status === 404) return fail(message && message !== 'not found' ? `${capitalize(message)}.` : 'Not found.', 'not-found');
  return fail(message ? `${capitalize(message)}.` : `The request failed (${status}).`);
}
