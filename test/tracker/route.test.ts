/**
 * GET /tracking/script[.<ext>…].js on the real server: the built bytes, gzip when
 * accepted (the precompressed copy), caching headers and ETag revalidation, extensions in
 * any order, and 404 for anything that names no variant.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsGzip, canonicalName } from '../../src/http/routes/tracker.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const OUT = join(import.meta.dirname, '../../dist/tracker');
const EXTENSIONS = ['file-downloads', 'form-submissions', 'hash', 'manual', 'outbound-links', 'pageview-props', 'tagged-events'];

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw GET/HEAD (fetch would decompress the body and hide content-encoding). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('tracker route', () => {
  it('serves script.js uncompressed when gzip is not accepted', async () => {
    const res = await get(`${server.url}/tracking/script.js`);
    expect(res.status).toBe(200);
    expect(res.body.equals(readFileSync(join(OUT, 'script.js')))).toBe(true);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBe('accept-encoding');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{20}"$/);
  });

  it('serves the precompressed copy when gzip is accepted, with its own ETag', async () => {
    const plain = await get(`${server.url}/tracking/script.js`);
    const res = await get(`${server.url}/tracking/script.js`, { 'accept-encoding': 'br, gzip;q=0.8' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.body.equals(readFileSync(join(OUT, 'script.js.gz')))).toBe(true);
    expect(res.body.length).toBeLessThan(1024);
    expect(res.headers.etag).toBe(`${String(plain.headers.etag).slice(0, -1)}-gz"`);
    const refused = await get(`${server.url}/tracking/script.js`, { 'accept-encoding': 'gzip;q=0, deflate' });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('answers 304 to a matching If-None-Match, and 200 to a stale one', async () => {
    const first = await get(`${server.url}/tracking/script.hash.js`, { 'accept-encoding': 'gzip' });
    const etag = String(first.headers.etag);
    const again = await get(`${server.url}/tracking/script.hash.js`, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    const weak = await get(`${server.url}/tracking/script.hash.js`, {
      'accept-encoding': 'gzip',
      'if-none-match': `"x", W/${etag}`,
    });
    expect(weak.status).toBe(304);
    const stale = await get(`${server.url}/tracking/script.hash.js`, { 'accept-encoding': 'gzip', 'if-none-match': '"0000"' });
    expect(stale.status).toBe(200);
    // The uncompressed representation has another tag: the gzip one does not validate it.
    const plain = await get(`${server.url}/tracking/script.hash.js`, { 'if-none-match': etag });
    expect(plain.status).toBe(200);
  });

  it('serves each variant, with extensions in any order', async () => {
    const canonical = await get(`${server.url}/tracking/script.file-downloads.hash.outbound-links.js`);
    expect(canonical.status).toBe(200);
    expect(canonical.body.equals(readFileSync(join(OUT, 'script.file-downloads.hash.outbound-links.js')))).toBe(true);
    const shuffled = await get(`${server.url}/tracking/script.outbound-links.hash.file-downloads.js`);
    expect(shuffled.status).toBe(200);
    expect(shuffled.body.equals(canonical.body)).toBe(true);
    expect(shuffled.headers.etag).toBe(canonical.headers.etag);
    const all = await get(`${server.url}/tracking/script.${[...EXTENSIONS].reverse().join('.')}.js`);
    expect(all.status).toBe(200);
    expect(all.body.equals(readFileSync(join(OUT, `script.${EXTENSIONS.join('.')}.js`)))).toBe(true);
    const head = await get(`${server.url}/tracking/script.manual.js`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(readFileSync(join(OUT, 'script.manual.js')).length);
  });

  it('answers 404 for unknown, repeated or malformed names', async () => {
    for (const file of [
      'script.revenue.js',
      'script.tagged-event.js',
      'script.hash.hash.js',
      'script..js',
      'script.js.gz',
      'manifest.json',
      'other.js',
    ]) {
      const res = await get(`${server.url}/tracking/${file}`);
      expect(res.status, file).toBe(404);
      expect(JSON.parse(res.body.toString())).toEqual({ error: 'not found' });
    }
  });
});

describe('tracker route helpers', () => {
  it('canonicalName orders extensions and rejects unknown ones', () => {
    expect(canonicalName('script.js', EXTENSIONS)).toBe('script.js');
    expect(canonicalName('script.pageview-props.manual.js', EXTENSIONS)).toBe('script.manual.pageview-props.js');
    expect(canonicalName('script.tagged-events.form-submissions.hash.js', EXTENSIONS)).toBe(
      'script.form-submissions.hash.tagged-events.js',
    );
    expect(canonicalName('script.Hash.js', EXTENSIONS)).toBeNull();
    expect(canonicalName('script.hash', EXTENSIONS)).toBeNull();
    expect(canonicalName('script.compat.js', EXTENSIONS)).toBeNull();
  });

  it('acceptsGzip follows q-values and the wildcard', () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('*;q=0')).toBe(false);
    expect(acceptsGzip('gzip;q=0, *')).toBe(false);
    expect(acceptsGzip('br')).toBe(false);
  });
});
