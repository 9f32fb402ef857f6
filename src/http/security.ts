/**
 * HTTP hardening for every route, in two hooks on the root instance:
 *
 * - onRequest — same-origin rule. A state-changing request (POST/PUT/PATCH/DELETE) that
 *   carries the session cookie and no API key must carry an `Origin` (else a `Referer`)
 *   equal to the server's own origin, else 403 (CSRF). Sign-in and setup need no cookie,
 *   so they are checked only when an `Origin` is present (login CSRF). Preflights
 *   (`OPTIONS`) are refused outside ingestion: no other route is meant for other origins.
 * - onSend — security headers (nosniff, referrer policy, frame denial, CSP; COOP for HTML;
 *   HSTS over HTTPS), and any `Access-Control-*` header removed outside ingestion and the
 *   tracking script, so no route can open itself to other origins by accident.
 *
 * The server's origin is the scheme and `Host` the browser used; `X-Forwarded-Proto` and
 * `X-Forwarded-Host` count only from a trusted proxy (MALLARD_TRUSTED_PROXIES).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { readCookie } from './auth-guard.js';
import { fromTrustedProxy, type TrustedProxies } from './client-ip.js';
import { forbidden } from './errors.js';

export interface SecurityOptions {
  /** Proxies whose X-Forwarded-Proto / X-Forwarded-Host describe the browser's view. */
  proxies: TrustedProxies;
}

/** Routes meant for other origins: browser ingestion (CORS `*`) and server-side batches. */
const INGESTION_ROUTES: ReadonlySet<string> = new Set(['/api/event', '/api/events']);
/** Routes that sign in without a session: checked for `Origin` only when one is sent. */
const SIGN_IN_ROUTES: ReadonlySet<string> = new Set(['/api/auth/login', '/api/auth/setup', '/api/invitations/:token/accept']);
const STATE_CHANGING: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
export const HSTS = 'max-age=31536000';
export const CROSS_SITE_REFUSED = 'cross-site request refused';
export const CROSS_ORIGIN_REFUSED = 'cross-origin requests are not allowed';

const isIngestion = (route: string | undefined) => route !== undefined && INGESTION_ROUTES.has(route);
/** The tracking script is embedded by other sites: it sets its own cross-origin headers. */
const isTrackerScript = (route: string | undefined) => route?.startsWith('/tracking/') === true;

const firstValue = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h)?.split(',')[0]?.trim();

/** `https` when the browser's connection is TLS: the socket's, or a trusted proxy's word. */
export function requestProtocol(req: FastifyRequest, proxies: TrustedProxies): 'http' | 'https' {
  if (fromTrustedProxy(req.socket.remoteAddress, proxies)) {
    const forwarded = firstValue(req.headers['x-forwarded-proto'])?.toLowerCase();
    if (forwarded === 'http' || forwarded === 'https') return forwarded;
  }
  return req.protocol === 'https' ? 'https' : 'http';
}

/** The origin the browser addressed (`https://stats.example.com`), or null without a usable Host. */
export function serverOrigin(req: FastifyRequest, proxies: TrustedProxies): string | null {
  const forwardedHost = fromTrustedProxy(req.socket.remoteAddress, proxies)
    ? firstValue(req.headers['x-forwarded-host'])
    : undefined;
  const host = forwardedHost || req.headers.host;
  if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return null;
  return normalizeOrigin(`${requestProtocol(req, proxies)}://${host}`);
}

/** `scheme://host[:port]` lower-cased, default port dropped; null for `null` or garbage. */
function normalizeOrigin(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** The origin a request claims to come from: its `Origin`, else its `Referer`'s origin. */
function claimedOrigin(req: FastifyRequest): string | null | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) return normalizeOrigin(origin);
  const referer = req.headers.referer;
  return referer === undefined ? undefined : normalizeOrigin(referer);
}

/** Mirrors AuthGuard: a presented key is what authenticates the request, not the cookie. */
function presentsApiKey(req: FastifyRequest): boolean {
  return req.headers.authorization?.startsWith('Bearer ') === true || typeof req.headers['x-api-key'] === 'string';
}

export function registerSecurity(app: FastifyInstance, opts: SecurityOptions): void {
  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    if (isIngestion(route)) return;
    if (req.method === 'OPTIONS') throw forbidden(CROSS_ORIGIN_REFUSED);
    if (!STATE_CHANGING.has(req.method)) return;

    if (route !== undefined && SIGN_IN_ROUTES.has(route)) {
      if (req.headers.origin === undefined) return; // a non-browser client
      const claimed = normalizeOrigin(req.headers.origin);
      if (claimed === null || claimed !== serverOrigin(req, opts.proxies)) throw forbidden(CROSS_SITE_REFUSED);
      return;
    }

    if (readCookie(req, SESSION_COOKIE) === undefined || presentsApiKey(req)) return;
    const claimed = claimedOrigin(req);
    if (claimed == null || claimed !== serverOrigin(req, opts.proxies)) throw forbidden(CROSS_SITE_REFUSED);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const route = req.routeOptions.url;
    const tracker = isTrackerScript(route);
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'strict-origin-when-cross-origin');
    if (!tracker) {
      reply.header('x-frame-options', 'DENY').header('content-security-policy', CONTENT_SECURITY_POLICY);
    }
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('cross-origin-opener-policy', 'same-origin');
    }
    if (requestProtocol(req, opts.proxies) === 'https') reply.header('strict-transport-security', HSTS);
    if (!tracker && !isIngestion(route)) {
      for (const name of Object.keys(reply.getHeaders())) {
        if (name.toLowerCase().startsWith('access-control-')) reply.removeHeader(name);
      }
    }
    return payload;
  });
}
