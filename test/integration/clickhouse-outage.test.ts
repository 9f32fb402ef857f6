/**
 * The ClickHouse backend when ClickHouse goes away (docs/CLICKHOUSE.md): events are still
 * acknowledged from the local write-ahead log, reads answer 503 with what happened (never a
 * 500), /health/detailed names the problem, and nothing acknowledged is lost: a restart
 * against a ClickHouse that is back ships it. Always on ClickHouse, in either project.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClickHouseEndpoint, startClickHouse } from '../helpers/clickhouse.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { removeScratchDirs, scratchDir, sendEvent, stats, UA } from './support.js';

const SITE = 'outage.test';
const RANGE = { site_id: SITE, period: 'all' };

let server: RunningServer | undefined;
let clickhouse: ClickHouseEndpoint | undefined;

const env = (ch: ClickHouseEndpoint) => ({
  MALLARD_STORAGE: 'clickhouse',
  MALLARD_CLICKHOUSE_URL: ch.url,
  MALLARD_CLICKHOUSE_DATABASE: 'outage',
  MALLARD_FLUSH_INTERVAL: '86400',
});

const send = (url: string, path: string) =>
  sendEvent(url, { d: SITE, n: 'pageview', u: `https://${SITE}${path}` }, { ua: UA.firefoxLinux });

afterAll(async () => {
  await server?.stop('SIGKILL');
  await clickhouse?.stop();
  removeScratchDirs();
});

describe('ClickHouse unreachable while the server runs', () => {
  it('acknowledges events, answers reads 503 naming the cause, reports it, and loses nothing', async () => {
    const dataDir = scratchDir('clickhouse-outage');
    clickhouse = await startClickHouse();
    server = await startServer({ dataDir, env: env(clickhouse) });
    const cookie = await login(server.url);
    const readKey = await createKey(server.url, cookie, 'read');
    expect((await send(server.url, '/before')).status).toBe(202);
    expect(await stats(server.url, readKey, 'main', RANGE)).toMatchObject({ total_pageviews: 1 });

    // The embedded backup has nothing to copy here: it says what to do instead.
    const backup = await fetch(`${server.url}/api/admin/backup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: server.url },
      body: JSON.stringify({ dir: `${dataDir}-backup` }),
    });
    expect(backup.status).toBe(409);
    expect(((await backup.json()) as { error: string }).error).toMatch(
      /^backup copies the embedded storage; with storage = "clickhouse" back up ClickHouse itself \(BACKUP DATABASE\)/,
    );

    await clickhouse.stop();
    // Nothing waits to be shipped, so ClickHouse is first asked to compile the filter's pattern:
    // not being answered is a 503 as well, not a bad pattern.
    const filters = encodeURIComponent('[["matches","event:page",["^/b"]]]');
    const checked = await fetch(`${server.url}/api/stats/main?site_id=${SITE}&period=day&filters=${filters}`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(checked.status).toBe(503);
    expect(((await checked.json()) as { error: string }).error).toBe(
      'ClickHouse is unreachable; events are kept in the write-ahead log meanwhile',
    );
    expect((await send(server.url, '/during-1')).status).toBe(202);
    expect((await send(server.url, '/during-2')).status).toBe(202);

    const res = await fetch(`${server.url}/api/stats/main?site_id=${SITE}&period=all`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(((await res.json()) as { error: string }).error).toBe(
      'ClickHouse is unreachable; events are kept in the write-ahead log meanwhile',
    );

    // What an operator's dashboard reads: one event shipped, one failed shipment (the read's), two waiting.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^mallard_clickhouse_shipped_events_total 1$/m);
    expect(metrics).toMatch(/^mallard_clickhouse_insert_errors_total 1$/m);
    expect(metrics).toMatch(/^mallard_clickhouse_backlog_events 2$/m);
    expect(Number(/^mallard_clickhouse_ship_lag_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    // The Grafana dashboard in the repo reads only metrics a ClickHouse-backed server exports.
    const dashboard = readFileSync(join(import.meta.dirname, '../../deploy/grafana/mallard-metrics.json'), 'utf8');
    const used = new Set([...dashboard.matchAll(/mallard_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, '')));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(metrics, name).toMatch(new RegExp(`^# HELP ${name} `, 'm'));

    const health = await fetch(`${server.url}/health/detailed`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { status: string; storage: { reachable: boolean }; problems: string[] };
    expect(body.storage.reachable).toBe(false);
    expect(body.status).toBe('degraded');
    expect(body.problems.some((p) => p.includes('shipping events to ClickHouse fails'))).toBe(true);
    expect(server.logs()).not.toMatch(/"level":50.*"route":"\/api\/stats\/main"/);

    // The two events acknowledged during the outage are in the log: a server started on the
    // same data directory against a ClickHouse that is back ships them (a new, empty engine
    // here, so exactly those two are there).
    expect(await server.stop('SIGTERM')).toBe(0);
    clickhouse = await startClickHouse();
    server = await startServer({ dataDir, env: env(clickhouse) });
    const pages = (await stats<{ value: string; pageviews: number }[]>(server.url, readKey, 'breakdown/pages', RANGE)).map(
      (r) => [r.value, r.pageviews],
    );
    expect(pages.sort()).toEqual([
      ['/during-1', 1],
      ['/during-2', 1],
    ]);
  });
});

describe('ClickHouse unreachable at start-up', () => {
  it('stops with a message that names the server and the setting, not a stack', async () => {
    const dataDir = scratchDir('clickhouse-down');
    const down = await startClickHouse();
    await down.stop();
    await expect(startServer({ dataDir, env: env(down) })).rejects.toThrow(
      new RegExp(`ClickHouse at ${down.url.replace(/[.]/g, '\\.')} .*unreachable.*MALLARD_CLICKHOUSE_URL`),
    );
  });
});
