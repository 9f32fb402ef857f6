/**
 * Small helpers shared by the integration tests: sending events the way clients do,
 * reading stats, and walking a data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { UA } from '../helpers/user-agents.js';

export { UA };

export interface Answer<T = unknown> {
  status: number;
  text: string;
  json: T | undefined;
  contentType: string | null;
}

/** A response read as text and, when it is JSON, parsed. */
export async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let json: T | undefined;
  try {
    json = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') };
}

/** Who a test request comes from: a session cookie, an API key or a share token. */
export interface Auth {
  cookie?: string;
  key?: string;
  share?: string;
}

/**
 * One API request to the server at `base`; a signed-in browser sends its own Origin with the
 * cookie. A string body is sent as it is (malformed JSON on purpose), anything else as JSON.
 */
export async function apiRequest<T = unknown>(
  base: string,
  method: string,
  path: string,
  auth: Auth = {},
  body?: unknown,
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (auth.cookie) Object.assign(headers, { cookie: auth.cookie, origin: base });
  if (auth.key) headers.authorization = `Bearer ${auth.key}`;
  if (auth.share) headers['x-mallard-share'] = auth.share;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return answer<T>(await fetch(`${base}${path}`, { method, headers, body: payload }));
}

/** POST /api/event as a browser would (JSON body, given User-Agent). */
export async function sendEvent(
  url: string,
  body: unknown,
  opts: { ua?: string; headers?: Record<string, string>; contentType?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${url}/api/event`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      'user-agent': opts.ua ?? UA.chromeWindows,
      ...opts.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(res);
}

export interface BatchAnswer {
  accepted: number;
  rejected: number;
  errors: { index: number; error: string }[];
}

/** POST /api/events with a key; `body` is sent as is when it is a string. */
export async function sendBatch(
  url: string,
  key: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<BatchAnswer>> {
  const res = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(res);
}

/** Sends a batch and insists every event was accepted. */
export async function loadBatch(url: string, key: string, events: readonly object[]): Promise<void> {
  const res = await sendBatch(url, key, events);
  expect(res.status, res.text).toBe(200);
  expect(res.json).toEqual({ accepted: events.length, rejected: 0, errors: [] });
}

export function statsUrl(url: string, endpoint: string, params: Record<string, string | number>): string {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  return `${url}/api/stats/${endpoint}?${qs}`;
}

/** GET /api/stats/<endpoint> and insist on a 200. */
export async function stats<T = unknown>(url: string, key: string, endpoint: string, params: Record<string, string | number>) {
  const res = await fetch(statsUrl(url, endpoint, params), { headers: { authorization: `Bearer ${key}` } });
  const a = await answer<T>(res);
  expect(a.status, a.text).toBe(200);
  return a.json as T;
}

/** Page path → stored page views, from every page of the pages breakdown. */
export async function pageCounts(url: string, key: string, params: Record<string, string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let page = 1; ; page++) {
    const rows = await stats<{ value: string; pageviews: number }[]>(url, key, 'breakdown/pages', {
      ...params,
      limit: 1000,
      page,
    });
    for (const r of rows) counts.set(r.value, r.pageviews);
    if (rows.length < 1000) return counts;
  }
}

/** Every regular file under `dir`, recursively. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...listFiles(path));
    else if (st.isFile()) out.push(path);
  }
  return out;
}

/** Main stats object, spelled out in the order of the contract. */
export const main = (
  unique_visitors: number,
  visits: number,
  total_pageviews: number,
  views_per_visit: number,
  bounce_rate: number,
  avg_visit_duration_secs: number,
  events: number,
) => ({ unique_visitors, visits, total_pageviews, views_per_visit, bounce_rate, avg_visit_duration_secs, events });

/** One breakdown row. */
export const row = (
  value: string,
  visitors: number,
  visits: number,
  pageviews: number,
  bounce_rate: number,
  visit_duration: number,
  percentage: number,
) => ({ value, visitors, visits, pageviews, bounce_rate, visit_duration, percentage });

/** One timeseries bucket. */
export const bucket = (date: string, visitors = 0, visits = 0, pageviews = 0, bounce_rate = 0, visit_duration = 0) => ({
  date,
  visitors,
  visits,
  pageviews,
  bounce_rate,
  visit_duration,
});

export const ZERO_MAIN = main(0, 0, 0, 0, 0, 0, 0);

const scratch: string[] = [];

/** A fresh temp directory, removed by `removeScratchDirs()`. */
export function scratchDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mallard-itest-${label}-`));
  scratch.push(dir);
  return dir;
}

/** Removes every directory made by `scratchDir` in this test file (call after stopping servers). */
export function removeScratchDirs(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const MAIN_JS = join(import.meta.dirname, '../../dist/main.js');

/** Runs `node dist/main.js <args>` with only the given environment (and PATH). */
export function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const proc: ChildProcess = spawn(process.execPath, [MAIN_JS, ...args], {
    env: { PATH: process.env.PATH ?? '', MALLARD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}
