/**
 * Replays ported cases (case.ts) through our public API: one real server per test file,
 * with the test GeoIP database; per case a site of its own (registered with the fixture's
 * time zone), its goals through the goals API, its events through `POST /api/events`
 * (translate.ts), its imported rows (if any) uploaded as a Plausible CE export
 * (translate-imported.ts), then `POST /api/v2/query` with the case's body and the site's id.
 *
 * Verdicts: `same` asserts Plausible's answer, `differs` asserts ours, `pending` is listed as
 * a skipped test named with its reason, `fails` runs as a test that must fail (it asserts
 * Plausible's answer), so mending the difference turns it red until its verdict says `same`.
 * Each file prints the count of its cases per verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCityMmdb } from '../../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../../helpers/server.js';
import { answer, removeScratchDirs, scratchDir } from '../../integration/support.js';
import type { Expected, PlausibleGoal, PortedCase } from './case.js';
import { type IngestEvent, translate } from './translate.js';
import { uploadImported } from './translate-imported.js';

export interface CompatServer {
  url: string;
  key: string;
}

/** Starts one server for a file (admin key: sites, goals, ingest and queries). */
export function useCompatServer(): () => CompatServer {
  let server: RunningServer | undefined;
  let ctx: CompatServer | undefined;
  beforeAll(async () => {
    const geoDb = buildCityMmdb(scratchDir('compat-geo'));
    server = await startServer({ dataDir: scratchDir('compat-data'), env: { MALLARD_GEOIP_DB: geoDb } });
    const cookie = await login(server.url);
    ctx = { url: server.url, key: await createKey(server.url, cookie, 'admin') };
  });
  afterAll(async () => {
    await server?.stop();
    removeScratchDirs();
  });
  return () => {
    if (ctx === undefined) throw new Error('the compat server is not running');
    return ctx;
  };
}

async function call(ctx: CompatServer, method: string, path: string, body: unknown) {
  const res = await fetch(`${ctx.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ctx.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return answer<Record<string, unknown>>(res);
}

/** Registers a site with its time zone and goals. */
export async function createSite(ctx: CompatServer, siteId: string, timezone?: string, goals: readonly PlausibleGoal[] = []) {
  const site = await call(ctx, 'POST', '/api/sites', timezone === undefined ? { id: siteId } : { id: siteId, timezone });
  expect(site.status, site.text).toBe(201);
  for (const goal of goals) {
    const res = await call(ctx, 'POST', `/api/sites/${siteId}/goals`, goal);
    expect(res.status, res.text).toBe(201);
  }
}

/** Sends a translated batch; every event must be taken. */
export async function ingest(ctx: CompatServer, events: readonly IngestEvent[]) {
  if (events.length === 0) return;
  const res = await call(ctx, 'POST', '/api/events', events);
  expect(res.status, res.text).toBe(200);
  expect(res.json?.rejected, res.text).toBe(0);
}

export async function query(ctx: CompatServer, siteId: string, body: Record<string, unknown>) {
  return call(ctx, 'POST', '/api/v2/query', { ...body, site_id: siteId });
}

/** The answer against what is expected: results exactly, meta keys the case names, an error's wording. */
export function assertAnswer(got: Awaited<ReturnType<typeof query>>, want: Expected) {
  expect(got.status, got.text).toBe(want.status);
  if (want.status === 400) {
    // Plausible's tests match error messages as substrings (`msg =~ "…"`).
    expect(String(got.json?.error)).toContain(want.error);
    return;
  }
  expect(got.json?.results).toEqual(want.results);
  for (const [key, value] of Object.entries(want.meta ?? {})) {
    expect((got.json?.meta as Record<string, unknown> | undefined)?.[key], `meta.${key}`).toEqual(value);
  }
}

/** The query with each `["is", "segment", [n]]` naming our id of the fixture's segment n. */
function withSegmentIds(query: Record<string, unknown>, ids: ReadonlyMap<unknown, string>): Record<string, unknown> {
  const filters = (query.filters as unknown[] | undefined)?.map((f) =>
    Array.isArray(f) && f[1] === 'segment' ? [f[0], f[1], (f[2] as unknown[]).map((n) => ids.get(n) ?? n)] : f,
  );
  return { ...query, filters };
}

/** Runs one case against a fresh site; `now`'s date is the imported-row factory's today. */
export async function runCase(ctx: CompatServer, c: PortedCase, siteId: string, now: Date) {
  await createSite(ctx, siteId, c.fixture.timezone, c.fixture.goals);
  await ingest(ctx, translate(c.fixture.events, siteId, now));
  if (c.fixture.imported) await uploadImported(ctx.url, ctx.key, siteId, c.fixture.imported, now.toISOString().slice(0, 10));
  const ids = new Map<unknown, string>();
  for (const [n, s] of (c.fixture.segments ?? []).entries()) {
    const res = await call(ctx, 'POST', `/api/sites/${siteId}/segments`, { name: `segment ${n + 1}`, filters: s.filters });
    expect(res.status, res.text).toBe(201);
    ids.set(s.id, String(res.json?.id));
  }
  const got = await query(ctx, siteId, ids.size === 0 ? c.query : withSegmentIds(c.query, ids));
  assertAnswer(got, c.verdict.kind === 'differs' ? c.verdict.ours : c.expect);
}

/**
 * `COMPAT_SHOW_FAILS=1` runs the `fails` cases and rows as plain tests, so that their diffs
 * (Plausible's answer against ours) are printed.
 */
export const showFails = process.env.COMPAT_SHOW_FAILS === '1';

export function caseTitle(c: PortedCase): string {
  const v = c.verdict;
  return v.kind === 'same' ? c.source.test : `[${v.kind}: ${v.why}] ${c.source.test}`;
}

/** Counts of cases per verdict, e.g. `same 120, differs 2, pending 9, fails 12 (of 143)`. */
export function verdictSummary(cases: readonly PortedCase[]): string {
  const kinds = ['same', 'differs', 'pending', 'fails'] as const;
  const counts = kinds.map((k) => `${k} ${cases.filter((c) => c.verdict.kind === k).length}`);
  return `${counts.join(', ')} (of ${cases.length})`;
}

/**
 * Declares the tests of one ported file. `slug` names its sites (`<slug>-<n>.compat.test`).
 */
export function describePorted(title: string, slug: string, cases: readonly PortedCase[]) {
  describe(title, () => {
    const ctx = useCompatServer();
    // Stands for Plausible's "now" (events written without a timestamp), one minute back so
    // that no event is ahead of the server's clock.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    afterAll(() => {
      console.log(`${title}: ${verdictSummary(cases)}`);
    });
    cases.forEach((c, i) => {
      const siteId = `${slug}-${i}.compat.test`;
      const run = () => runCase(ctx(), c, siteId, now);
      const name = caseTitle(c);
      if (c.verdict.kind === 'pending') it.skip(name, run);
      else if (c.verdict.kind === 'fails' && !showFails) it.fails(name, run);
      else it(name, run);
    });
  });
}
