/**
 * Goals benchmark: what configured goals cost the dashboard on a large data set. The
 * baseline, measured in the same run on the same server and data, is the Goals panel of the
 * site before any goal is configured (every custom event a goal: one breakdown, answered
 * from rollups); then the same panel with goals of every kind, and the main stats filtered
 * by one goal of each kind.
 *
 *   npm run build && node --import tsx bench/goals.ts      # or: npm run bench:goals
 *
 * The data set is the query benchmark's (bench/generate.ts, cached under BENCH_TMPDIR); the
 * server's derived tables (visits, rollups) are built before timing, as in production.
 * Per question: 1 warm-up, then BENCH_RUNS (3) timed runs, median.
 * Environment: BENCH_EVENTS (10000000), BENCH_RUNS (3), BENCH_TMPDIR.
 */
import { ensureDataset, MAIN_SITE } from './generate.js';
import { BenchFailure, envInt, fmtMs, TMP, table } from './lib.js';
import { signIn, startServer, stopServer, waitForDerived } from './server.js';

const EVENTS = envInt('BENCH_EVENTS', 10_000_000, 1000, 1_000_000_000);
const RUNS = envInt('BENCH_RUNS', 3, 1, 100);
const log = (line: string) => console.error(line);

/** Goals of every kind: plain events, an event with revenue, an exact page, a page pattern. */
const GOALS = [
  { event_name: 'Signup' },
  { event_name: 'Purchase', currency: 'EUR' },
  { event_name: 'Newsletter' },
  { event_name: 'File Download' },
  { page_path: '/pricing' },
  { page_path: '/docs/*' },
];

async function main(): Promise<void> {
  const ds = await ensureDataset({ events: EVENTS, days: 30, baseDir: TMP, log });
  const { child, url } = await startServer(ds.eventsDir, log);
  try {
    const cookie = await signIn(url);
    const headers = { cookie, origin: url, 'content-type': 'application/json' };
    log(`goals: building derived tables of ${EVENTS.toLocaleString('en-US')} events…`);
    await waitForDerived(url, log);
    const range = `site_id=${MAIN_SITE}&start_date=${ds.startDate}&end_date=${ds.endDate}`;
    const filtered = (goal: string) => `${range}&filters=${encodeURIComponent(JSON.stringify([['is', 'event:goal', [goal]]]))}`;

    /** Median ms of RUNS timed runs after one warm-up, and the answer (the same every run). */
    const time = async (path: string): Promise<{ ms: number; body: string }> => {
      const ms: number[] = [];
      let body = '';
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        const res = await fetch(`${url}${path}`, { headers });
        const text = await res.text();
        if (res.status !== 200) throw new BenchFailure(`${path}: ${res.status} ${text.slice(0, 200)}`);
        if (i > 0) ms.push(performance.now() - t);
        if (i > 0 && body !== '' && text !== body) throw new BenchFailure(`${path}: the answer changed between runs`);
        body = text;
      }
      ms.sort((a, b) => a - b);
      return { ms: ms[Math.floor(ms.length / 2)] ?? Number.NaN, body };
    };

    const baseline = await time(`/api/stats/breakdown/events?${range}`);
    const created = await fetch(`${url}/api/sites`, { method: 'POST', headers, body: JSON.stringify({ id: MAIN_SITE }) });
    if (created.status !== 201) throw new BenchFailure(`registering ${MAIN_SITE}: ${created.status}`);
    for (const g of GOALS) {
      const res = await fetch(`${url}/api/sites/${MAIN_SITE}/goals`, { method: 'POST', headers, body: JSON.stringify(g) });
      if (res.status !== 201) throw new BenchFailure(`goal ${JSON.stringify(g)}: ${res.status} ${await res.text()}`);
    }
    const rows: [string, number][] = [
      ['Goals panel, no goals configured (baseline)', baseline.ms],
      [
        'Goals panel, 6 goals (4 event, 1 of them revenue; 1 exact page; 1 page pattern)',
        (await time(`/api/stats/breakdown/events?${range}`)).ms,
      ],
      ['main, filtered by an event goal (Signup)', (await time(`/api/stats/main?${filtered('Signup')}`)).ms],
      ['main, filtered by the revenue goal (Purchase)', (await time(`/api/stats/main?${filtered('Purchase')}`)).ms],
      ['main, filtered by an exact page goal (Visit /pricing)', (await time(`/api/stats/main?${filtered('Visit /pricing')}`)).ms],
      ['main, filtered by a page pattern goal (Visit /docs/*)', (await time(`/api/stats/main?${filtered('Visit /docs/*')}`)).ms],
    ];
    console.log(`\nGoals on ${EVENTS.toLocaleString('en-US')} events over 30 days (median of ${RUNS} after a warm-up)\n`);
    console.log(
      table(
        ['question', 'ms', '× baseline'],
        rows.map(([label, ms]) => [label, fmtMs(ms), (ms / baseline.ms).toFixed(1)]),
      ),
    );
  } finally {
    await stopServer(child);
  }
}

main().catch((err) => {
  console.error(err instanceof BenchFailure ? `bench failed: ${err.message}` : err);
  process.exit(1);
});
