/**
 * The HTTP client: same-origin fetch with the session cookie (or, on a shared view, the
 * share token as `auth=`), JSON in and out, and errors turned into sentences a person
 * understands. The server's `{"error": "..."}` message is kept (it names the field); a
 * 401 tells the app to show the sign-in screen.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | boolean | null | undefined>;

let shareToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** On a shared view every stats request carries the link's token instead of a session. */
export function setShareToken(token: string | null): void {
  shareToken = token;
}

export function onSignedOut(fn: () => void): void {
  onUnauthorized = fn;
}

/** `path?query` with empty values left out, plus the share token when there is one. */
export function apiUrl(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  if (shareToken) q.set('auth', shareToken);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

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

/** Server messages (docs/API.md) that deserve a plainer sentence than the field-named original. */
const PLAIN: Record<string, string> = {
  'current_password: wrong password': 'The current password is wrong.',
  'new_password: at least 8 characters': 'The new password needs at least 8 characters.',
  'new_password: at most 256 characters': 'The new password can have at most 256 characters.',
};

/** What a sign-in answers when the account has two-factor sign-in and no code was given. */
export const CODE_NEEDED = 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.';

/** The sentence shown for a failed answer. */
function explain(status: number, serverMessage: string | undefined, retryAfter: string | null): string {
  const plain = serverMessage === undefined ? undefined : PLAIN[serverMessage];
  if (plain) return plain;
  if (status === 401) {
    if (serverMessage === 'wrong password') return 'Wrong password.';
    if (serverMessage === 'wrong e-mail address or password') return 'Wrong e-mail address or password.';
    if (serverMessage?.startsWith('password: wrong password')) return 'Wrong password for this account.';
    if (serverMessage === 'totp required') return CODE_NEEDED;
    if (serverMessage === 'totp: wrong code')
      return 'Wrong code: use the current code of your authenticator app, or an unused recovery code.';
    return shareToken ? 'This share link is invalid or has been revoked.' : 'You are signed out. Sign in again.';
  }
  if (status === 403) return serverMessage ? `Not allowed: ${serverMessage}.` : 'You are not allowed to do this.';
  if (status === 404) return serverMessage && serverMessage !== 'not found' ? `${capitalize(serverMessage)}.` : 'Not found.';
  if (status === 429) {
    const secs = Number(retryAfter);
    const what = serverMessage?.startsWith('too many failed sign-in attempts')
      ? 'Too many wrong passwords from this address.'
      : 'Too many attempts.';
    return Number.isFinite(secs) && secs > 0 ? `${what} Try again in ${waitText(secs)}.` : `${what} Try again in a moment.`;
  }
  if (status >= 500) return `The server had a problem (${status}). Try again in a moment.`;
  return serverMessage ? `${capitalize(serverMessage)}.` : `The request failed (${status}).`;
}

export async function request<T>(method: string, path: string, opts: { params?: Params; body?: unknown } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.params), {
      method,
      credentials: 'same-origin',
      headers:
        opts.body === undefined
          ? { accept: 'application/json' }
          : { 'content-type': 'application/json', accept: 'application/json' },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
  }
  return answered<T>(path, res.status, await res.text(), res.headers.get('retry-after'));
}

/** An answer's JSON, or the ApiError explaining a failed one (a 401 also signs the app out). */
function answered<T>(path: string, status: number, text: string, retryAfter: string | null): T {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (status < 200 || status > 299) {
    const message = (json as { error?: unknown } | undefined)?.error;
    const err = new ApiError(status, explain(status, typeof message === 'string' ? message : undefined, retryAfter));
    // A wrong password while signing in (or accepting an invitation) is not a lost session.
    const signingIn = path === '/api/auth/login' || path.startsWith('/api/invitations/');
    if (status === 401 && !shareToken && !signingIn) onUnauthorized?.();
    throw err;
  }
  return json as T;
}

/**
 * POSTs a file as the request body, telling how many of its bytes are sent: XMLHttpRequest,
 * because fetch reports no upload progress.
 */
export function upload<T>(
  path: string,
  params: Params,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(path, params));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'Cannot reach the server. Check your connection and try again.'));
    xhr.onload = () => {
      try {
        resolve(answered<T>(path, xhr.status, xhr.responseText, xhr.getResponseHeader('retry-after')));
      } catch (err) {
        reject(err);
      }
    };
    xhr.send(file);
  });
}

export const get = <T>(path: string, params?: Params) => request<T>('GET', path, { params });
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, { body });
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, { body });
export const del = (path: string) => request<void>('DELETE', path);

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
