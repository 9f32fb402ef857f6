/**
 * The HTTP client: same-origin fetch with the session cookie (or, on a shared view, the
 * share token as `auth=`), JSON in and out, and failed answers turned into sentences a
 * person can act on (errors.ts). A 401 tells the app to show the sign-in screen; a server
 * that cannot be reached is watched until it answers again (connection.ts).
 */
import { reachable, unreachable } from './connection.js';
import { type ApiError, explain } from './errors.js';

export { ApiError, CODE_NEEDED, errorText, waitText } from './errors.js';

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
    throw failed(path, 0, '', null);
  }
  return answered<T>(path, res.status, await res.text(), res.headers.get('retry-after'), opts.params);
}

/** An answer's JSON, or the ApiError explaining a failed one. */
function answered<T>(path: string, status: number, text: string, retryAfter: string | null, params?: Params): T {
  if (status < 200 || status > 299) throw failed(path, status, text, retryAfter, params);
  reachable();
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    return undefined as T;
  }
}

/** The ApiError for a failed answer (status 0: none); a lost session signs the app out. */
function failed(path: string, status: number, text: string, retryAfter: string | null, params: Params = {}): ApiError {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const message = (json as { error?: unknown } | undefined)?.error;
  const err = explain({
    status,
    message: typeof message === 'string' ? message : undefined,
    retryAfter,
    params,
    shared: shareToken !== null,
  });
  if (err.kind === 'unreachable') unreachable();
  else reachable();
  // A wrong password while signing in (or accepting an invitation) is not a lost session.
  const signingIn = path === '/api/auth/login' || path.startsWith('/api/invitations/');
  if (err.kind === 'signed-out' && !signingIn) onUnauthorized?.();
  return err;
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
    xhr.onerror = () => reject(failed(path, 0, '', null));
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
