/**
 * GET /tracking/script[.<ext>…].js: the tracking script variants that
 * scripts/build-tracker.mjs writes to dist/tracker/ (each with a gzip copy made at build
 * time). They are read into memory at start-up; a request only picks bytes and headers.
 * Extensions may be named in any order (`script.hash.outbound-links.js` and
 * `script.outbound-links.hash.js` are one variant); unknown or repeated ones are a 404.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HttpError, notFound } from '../errors.js';

export interface TrackerRouteDeps {
  log: Logger;
  /** Where the build put the variants; default `<package root>/dist/tracker`. */
  dir?: string;
}

interface Variant {
  js: Buffer;
  gz: Buffer;
  etag: string;
  gzEtag: string;
}

interface Manifest {
  extensions: string[];
  variants: Record<string, unknown>;
}

/** A day: browsers revalidate with the ETag afterwards, so a new build reaches them within a day. */
const CACHE_CONTROL = 'public, max-age=86400';

/** The package root (holds package.json), found upwards from this module in src/ (tsx) or dist/. */
function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
  return dir;
}

export const DEFAULT_TRACKER_DIR = join(packageRoot(import.meta.dirname), 'dist', 'tracker');

function loadVariants(dir: string): { extensions: string[]; variants: Map<string, Variant> } | null {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const variants = new Map<string, Variant>();
  for (const name of Object.keys(manifest.variants)) {
    const js = readFileSync(join(dir, name));
    const hash = createHash('sha256').update(js).digest('hex').slice(0, 20);
    // Two encodings are two representations: each needs its own validator.
    variants.set(name, { js, gz: readFileSync(join(dir, `${name}.gz`)), etag: `"${hash}"`, gzEtag: `"${hash}-gz"` });
  }
  return { extensions: manifest.extensions, variants };
}

/** The canonical file name for a requested one, or null when it names no variant. */
export function canonicalName(file: string, extensions: readonly string[]): string | null {
  const m = /^script((?:\.[a-z0-9-]+)*)\.js$/.exec(file);
  if (!m) return null;
  const requested = (m[1] ?? '').split('.').slice(1);
  if (new Set(requested).size !== requested.length || requested.some((e) => !extensions.includes(e))) return null;
  const ordered = extensions.filter((e) => requested.includes(e));
  return ['script', ...ordered, 'js'].join('.');
}

/** Whether `Accept-Encoding` allows gzip (listed, or `*`, without q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const q: Record<string, number> = {};
  for (const part of header.toLowerCase().split(',')) {
    const [coding = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q[coding.trim()] = qParam ? Number(qParam.slice(2)) || 0 : 1;
  }
  const gzip = q.gzip ?? q['*'];
  return gzip !== undefined && gzip > 0;
}

function notModified(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

export async function trackerRoutes(app: FastifyInstance, deps: TrackerRouteDeps): Promise<void> {
  const dir = deps.dir ?? DEFAULT_TRACKER_DIR;
  const built = loadVariants(dir);
  if (!built) deps.log.warn({ dir }, 'tracking script not built (run npm run build): /tracking/*.js answers 503');

  app.get<{ Params: { file: string } }>('/tracking/:file', async (req, reply: FastifyReply) => {
    if (!built) throw new HttpError(503, 'tracking script not built');
    const name = canonicalName(req.params.file, built.extensions);
    const variant = name === null ? undefined : built.variants.get(name);
    if (!variant) throw notFound();
    const gzip = acceptsGzip(req.headers['accept-encoding']);
    const etag = gzip ? variant.gzEtag : variant.etag;
    reply
      .header('cache-control', CACHE_CONTROL)
      .header('etag', etag)
      .header('vary', 'accept-encoding')
      // Sites embed the script from another origin: allow that explicitly (and SRI/crossorigin use).
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');
    if (notModified(req, etag)) return reply.code(304).send();
    reply.type('application/javascript; charset=utf-8');
    if (gzip) reply.header('content-encoding', 'gzip');
    return reply.send(gzip ? variant.gz : variant.js);
  });
}
