/**
 * The dashboard, as scripts/build-dashboard.mjs writes it to dist/dashboard/: index.html
 * for `/` and every client-side route (the app reads the path itself), always revalidated,
 * carrying the sign-in status (`<meta name="mallard-auth">`: `setup`, `signed-in` or
 * `signed-out`) so the app's first requests are the page's data, not a status round trip;
 * content-hashed files under `/assets/`, cached for a year as immutable. Everything is read
 * into memory at start-up with the gzip copies made at build time; a request only picks
 * bytes and headers. The security headers (CSP, frame denial) come from http/security.ts.
 *
 * Also `GET /api/share?auth=<token>` → `{site_id}`: which site a share link shows, the one
 * thing the shared view must know before it can ask the stats endpoints.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, HttpError, notFound, unauthorized } from '../errors.js';
import type { AuthStatus } from './auth.js';
import { acceptsGzip, DEFAULT_TRACKER_DIR } from './tracker.js';

export interface DashboardRouteDeps {
  log: Logger;
  guard: AuthGuard;
  /** The sign-in status the page is served with (routes/auth.ts `authStatus`). */
  status: (req: FastifyRequest) => Promise<AuthStatus>;
  /** Where the build put the dashboard; default `<package root>/dist/dashboard`. */
  dir?: string;
}

interface File {
  type: string;
  body: Buffer;
  gz: Buffer;
  etag: string;
  gzEtag: string;
}

interface Manifest {
  assets: Record<string, unknown>;
}

export const DEFAULT_DASHBOARD_DIR = join(dirname(DEFAULT_TRACKER_DIR), 'dashboard');

/** Paths the client-side router owns: each answers index.html. */
export const APP_ROUTES = ['/', '/keys', '/account', '/users', '/sites', '/sites/*', '/share/*', '/invitations/*'] as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

function file(type: string, body: Buffer, gz: Buffer): File {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 20);
  // Two encodings are two representations: each needs its own validator.
  return { type, body, gz, etag: `"${hash}"`, gzEtag: `"${hash}-gz"` };
}

const load = (path: string): File =>
  file(TYPES[extname(path)] ?? 'application/octet-stream', readFileSync(path), readFileSync(`${path}.gz`));

type Boot = 'setup' | 'signed-in' | 'signed-out';
const bootOf = (s: AuthStatus): Boot => (s.setup_required ? 'setup' : s.authenticated ? 'signed-in' : 'signed-out');

/** index.html with the status in its head: one precomputed page (and validator) per status. */
function indexVariants(path: string): Record<Boot, File> {
  const html = readFileSync(path, 'utf8');
  const variant = (boot: Boot) => {
    const body = Buffer.from(html.replace('</head>', `  <meta name="mallard-auth" content="${boot}" />\n  </head>`));
    return file(TYPES['.html'] as string, body, gzipSync(body, { level: 9 }));
  };
  return { setup: variant('setup'), 'signed-in': variant('signed-in'), 'signed-out': variant('signed-out') };
}

function loadBuild(dir: string): { index: Record<Boot, File>; assets: Map<string, File> } | null {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const assets = new Map(Object.keys(manifest.assets).map((name) => [name, load(join(dir, 'assets', name))]));
  return { index: indexVariants(join(dir, 'index.html')), assets };
}

function notModified(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

function send(req: FastifyRequest, reply: FastifyReply, file: File, cacheControl: string): FastifyReply {
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  const etag = gzip ? file.gzEtag : file.etag;
  reply.header('cache-control', cacheControl).header('etag', etag).header('vary', 'accept-encoding');
  if (notModified(req, etag)) return reply.code(304).send();
  reply.type(file.type);
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? file.gz : file.body);
}

export async function dashboardRoutes(app: FastifyInstance, deps: DashboardRouteDeps): Promise<void> {
  const dir = deps.dir ?? DEFAULT_DASHBOARD_DIR;
  const built = loadBuild(dir);
  if (!built) deps.log.warn({ dir }, 'dashboard not built (run npm run build): / answers 503');

  const index = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!built) throw new HttpError(503, 'dashboard not built (run npm run build)');
    return send(req, reply, built.index[bootOf(await deps.status(req))], 'private, no-cache');
  };
  for (const path of APP_ROUTES) app.get(path, index);

  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const file = built?.assets.get(req.params.file);
    if (!file) throw notFound();
    return send(req, reply, file, IMMUTABLE);
  });

  app.get('/api/share', async (req) => {
    if ((req.query as Record<string, unknown>).auth === undefined) throw badRequest('auth: required (the share token)');
    const caller = await deps.guard.caller(req);
    if (caller?.kind !== 'share') throw unauthorized('invalid or revoked share link');
    return { site_id: caller.siteId };
  });
}
