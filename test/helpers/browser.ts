/**
 * Browser-test harness: Debian's headless Chromium driven by playwright-core, a tiny
 * node:http server for the fixture pages (on `*.test` host names, which Chromium resolves
 * to 127.0.0.1, because the tracker refuses to count localhost), and a recorder of every
 * POST the pages send, with its exact body and the server's status.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { UA } from '../integration/support.js';
import { TEST_STORAGE } from './backends.js';

export const CHROMIUM = '/usr/bin/chromium';
export const FIXTURES = join(import.meta.dirname, '../browser/fixtures');
/**
 * Where the dashboard tests leave their screenshots (ignored by git); a run on ClickHouse
 * (which goes on beside the DuckDB one) has a folder of its own.
 */
export const DASHBOARD_ARTIFACTS = join(
  import.meta.dirname,
  TEST_STORAGE === 'clickhouse' ? '../../test-artifacts/dashboard-clickhouse' : '../../test-artifacts/dashboard',
);

/** A full-page screenshot of the dashboard, kept as a test artifact. */
export async function shoot(p: Page, name: string): Promise<void> {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  await p.screenshot({ path: join(DASHBOARD_ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The same view on a 375 px phone, then back to the desktop size. */
export async function shootPhone(p: Page, name: string): Promise<void> {
  await p.setViewportSize({ width: 375, height: 740 });
  await p.waitForTimeout(150); // the chart follows its box through a ResizeObserver
  await shoot(p, name);
  await p.setViewportSize({ width: 1280, height: 800 });
}

/** Collects the page's console errors and uncaught exceptions into `problems`; returns the page. */
export function watchProblems(p: Page, problems: string[]): Page {
  p.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  p.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return p;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Playwright turns the back/forward cache off by default; real browsers have it on,
    // and the tracker must count a page restored from it.
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--host-resolver-rules=MAP *.test 127.0.0.1',
    ],
  });
}

/** One POST a page sent: where, how, what, and the status the receiver answered. */
export interface Sent {
  url: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
  /** null when the request failed. */
  status: Promise<number | null>;
}

/**
 * A fresh browser context (no shared storage) recording every POST request of its pages.
 * Its User-Agent is a desktop Chrome's: the server drops `HeadlessChrome` as a bot, and
 * real visitors are what the tracker is for.
 */
export class Recorder {
  readonly sent: Sent[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    context.on('request', (req) => {
      if (req.method() !== 'POST') return;
      const text = req.postData() ?? '';
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { unparsable: text };
      }
      this.sent.push({
        url: req.url(),
        contentType: req.headers()['content-type'],
        body,
        status: req.response().then(
          (r) => r?.status() ?? null,
          () => null,
        ),
      });
    });
  }

  /**
   * `fixedTime`: the pages' `Date.now()` stands still at that time (timers still run) until
   * the test moves it with `context.clock.setFixedTime`.
   */
  static async open(browser: Browser, opts: { userAgent?: string; fixedTime?: number } = {}): Promise<Recorder> {
    const context = await browser.newContext({
      userAgent: opts.userAgent ?? UA.chromeWindows,
      viewport: { width: 1280, height: 800 },
    });
    if (opts.fixedTime !== undefined) await context.clock.setFixedTime(opts.fixedTime);
    return new Recorder(context, await context.newPage());
  }

  /** Waits until `n` requests were sent and answered; returns their bodies in send order. */
  async waitForSent(n: number, timeoutMs = 5000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.sent.length < n) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${n} requests, saw ${this.sent.length}: ${JSON.stringify(this.bodies())}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.sent.slice(0, n).map((s) => s.status));
    return this.bodies();
  }

  /**
   * Waits long enough for a request the page might still send to show up. Used before
   * asserting that something was NOT sent; each such test also has a positive control.
   */
  async quiet(ms = 400): Promise<Record<string, unknown>[]> {
    await new Promise((r) => setTimeout(r, ms));
    await Promise.all(this.sent.map((s) => s.status));
    return this.bodies();
  }

  bodies(): Record<string, unknown>[] {
    return this.sent.map((s) => s.body);
  }

  async statuses(): Promise<(number | null)[]> {
    return Promise.all(this.sent.map((s) => s.status));
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

interface Served {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * Serves fixture pages by host name and path (`shop.test` and `blog.test` on one port),
 * file downloads as attachments (so a click leaves the page where it is), and a
 * pass-through proxy for the `data-api` test.
 */
export class FixtureServer {
  private readonly routes = new Map<string, Served>();
  private readonly proxies = new Map<string, string>();
  /**
   * The bodies POSTed through the proxies, in arrival order, with the status the target
   * answered. Unlike the Recorder, this also sees what a page sends as it unloads (Playwright
   * does not report those requests).
   */
  readonly proxied: { body: Record<string, unknown>; status: number }[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FixtureServer> {
    let self: FixtureServer | undefined;
    const server = createServer((req, res) => {
      self?.handle(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FixtureServer(server, (server.address() as AddressInfo).port);
    return self;
  }

  origin(host: string): string {
    return `http://${host}:${this.port}`;
  }

  /** Serves `html` at http://<host>:<port><path>. */
  page(host: string, path: string, html: string, status = 200): string {
    this.routes.set(`${host}${path}`, { status, type: 'text/html; charset=utf-8', body: html });
    return `${this.origin(host)}${path}`;
  }

  script(host: string, path: string, js: string): string {
    this.routes.set(`${host}${path}`, { status: 200, type: 'application/javascript; charset=utf-8', body: js });
    return `${this.origin(host)}${path}`;
  }

  /** POSTs to http://<host>:<port><path> are forwarded to `target`, as a site's reverse proxy would. */
  proxy(host: string, path: string, target: string): void {
    this.proxies.set(`${host}${path}`, target);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const target = this.proxies.get(`${host}${path}`);
    if (target && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const answer = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': req.headers['content-type'] ?? 'text/plain',
          'user-agent': req.headers['user-agent'] ?? '',
        },
        body,
      });
      this.proxied.push({ body: JSON.parse(body.toString('utf8')) as Record<string, unknown>, status: answer.status });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
      res.end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    if (path.startsWith('/files/')) {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${path.slice('/files/'.length)}"`,
      });
      res.end('file');
      return;
    }
    const served = this.routes.get(`${host}${path}`);
    if (!served) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such fixture');
      return;
    }
    // No cache-control: \`no-store\` would keep pages out of the back/forward cache.
    res.writeHead(served.status, { 'content-type': served.type, ...served.headers });
    res.end(served.body);
  }

  /** Waits until `n` bodies went through the proxies; returns them in arrival order. */
  async waitForProxied(n: number, timeoutMs = 5000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.proxied.length < n) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${n} proxied requests, saw ${this.proxied.length}: ${JSON.stringify(this.proxied)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.proxied.map((p) => p.body);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** A fixture page with its `{{NAME}}` placeholders filled in. */
export function fixture(name: string, vars: Record<string, string>): string {
  let html = readFileSync(join(FIXTURES, name), 'utf8');
  for (const [k, v] of Object.entries(vars)) html = html.replaceAll(`{{${k}}}`, v);
  const left = /\{\{[A-Z_]+\}\}/.exec(html);
  if (left) throw new Error(`fixture ${name}: no value for ${left[0]}`);
  return html;
}

/** `<script defer src=… data-…>` with the attributes given (a `true` value is a bare attribute). */
export function trackerTag(src: string, attrs: Record<string, string | true>): string {
  const rendered = Object.entries(attrs)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${v.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"`))
    .join('');
  return `<script defer${rendered} src="${src}"></script>`;
}
