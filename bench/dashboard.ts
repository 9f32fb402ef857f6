/**
 * Dashboard benchmark: how long until a site owner sees numbers? Opens the overview of the
 * query benchmark's data set (10M events over 30 days by default) in headless Chromium and
 * times, from navigation start, (1) the top stats showing numbers and (2) every panel
 * loaded, unfiltered and with one filter (a country, a page, a source). The server starts on
 * a fresh data directory, builds its per-day visits and rollups (timed), and is restarted,
 * so that the first call after the restart is the one a site owner makes after an upgrade or
 * a reboot. The baseline, measured in the same run: the overview's first API call alone
 * (`/api/stats/main`), fetched straight from Node, the first after the restart and warm.
 *
 *   npm run build && node --import tsx bench/dashboard.ts
 *
 * Environment: BENCH_EVENTS (10000000), BENCH_RUNS (5), BENCH_TMPDIR. Needs /usr/bin/chromium
 * (the test command installs it).
 */
import { chromium } from 'playwright-core';
import { ensureDataset, MAIN_SITE } from './generate.js';
import { envInt, memory, TMP } from './lib.js';
import { derivedBuildPeakMb, signIn, startServer, stopServer, waitForDerived } from './server.js';

const EVENTS = envInt('BENCH_EVENTS', 10_000_000, 1000, 1_000_000_000);
const RUNS = envInt('BENCH_RUNS', 5, 1, 100);
const T0 = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const ds = await ensureDataset({ events: EVENTS, days: 30, baseDir: TMP, log });
  const first = await startServer(ds.eventsDir, log);
  const derivedSecs = await waitForDerived(first.url, log);
  const firstPeak = memory(first.child.pid).peakMb;
  const buildPeak = await derivedBuildPeakMb(first.url);
  await stopServer(first.child);
  const { child, url } = await startServer(ds.eventsDir, log, { dataDir: first.dataDir });
  const cookie = await signIn(url);
  const created = await fetch(`${url}/api/sites`, {
    method: 'POST',
    headers: { cookie, origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ id: MAIN_SITE }),
  });
  if (created.status !== 201) throw new Error(`POST /api/sites: ${created.status} ${await created.text()}`);
  const range = { start_date: ds.startDate, end_date: ds.endDate };

  // Baseline: the main stats call alone. The first run is the first after the restart.
  const api: number[] = [];
  let cold = 0;
  for (let i = 0; i <= RUNS; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/stats/main?${new URLSearchParams({ site_id: MAIN_SITE, ...range })}`, {
      headers: { cookie },
    });
    await res.text();
    if (i > 0) api.push(performance.now() - t);
    else cold = performance.now() - t;
  }

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const overview = `${url}/sites/${MAIN_SITE}/overview?period=custom&from=${ds.startDate}&to=${ds.endDate}`;
  const variants: { label: string; page: string }[] = [
    { label: 'unfiltered', page: overview },
    ...[
      ['country US', ['is', 'visit:country', ['US']]],
      [`page ${ds.popularPage}`, ['is', 'event:page', [ds.popularPage]]],
      ['source Google', ['is', 'visit:source', ['Google']]],
    ].map(([label, f]) => ({
      label: `filter: ${label}`,
      page: `${overview}&filters=${encodeURIComponent(JSON.stringify([f]))}`,
    })),
  ];
  const timings: { label: string; stats: number[]; all: number[] }[] = [];
  // What the top stats read per variant: a filtered overview must show other numbers.
  const read = new Map<string, string>();
  /** One load in a fresh context (no cache, no cookies but the session): [top stats, every panel] ms and the top stats' text. */
  const load = async (page: string): Promise<{ stats: number; all: number; text: string }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const [name, value] = cookie.split('=');
    await context.addCookies([{ name: name ?? '', value: value ?? '', url }]);
    const tab = await context.newPage();
    const t = performance.now();
    // Timed from navigation start; 'load' also waits for the icons, queued behind the stats.
    await tab.goto(page, { waitUntil: 'commit' });
    await tab.waitForSelector('section.top-stats[aria-busy="false"]', { timeout: 120_000 });
    const stats = performance.now() - t;
    const text = ((await tab.locator('section.top-stats').textContent()) ?? '').replace(/\s+/g, ' ').slice(0, 160);
    await tab.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, undefined, {
      timeout: 300_000,
    });
    const all = performance.now() - t;
    await context.close();
    return { stats, all, text };
  };
  let coldBrowser = 0;
  try {
    // The first page a just-started browser shows also pays for starting its renderer and
    // compiling the script: reported on its own, not mixed into the medians.
    coldBrowser = (await load(overview)).all;
    for (const v of variants) {
      const stats: number[] = [];
      const all: number[] = [];
      timings.push({ label: v.label, stats, all });
      for (let i = 0; i < RUNS; i++) {
        const r = await load(v.page);
        stats.push(r.stats);
        all.push(r.all);
        read.set(v.label, r.text);
      }
    }
  } finally {
    await browser.close();
  }
  const mem = memory(child.pid);
  await stopServer(child);
  const a = median(api);
  console.log('');
  console.log(`${EVENTS.toLocaleString('en-US')} events, ${ds.startDate} … ${ds.endDate}; medians of ${RUNS} runs`);
  console.log(`  visits and rollups of every day built in ${derivedSecs.toFixed(1)} s on a fresh data directory`);
  console.log(`  baseline GET /api/stats/main alone: first after a restart ${cold.toFixed(0)} ms, then ${a.toFixed(0)} ms`);
  console.log(
    `  the first overview in the just-started browser (not in the table): every panel loaded in ${coldBrowser.toFixed(0)} ms`,
  );
  console.log('| overview | top stats show numbers ms | every panel loaded ms | every run, all panels ms |');
  console.log('|---|--:|--:|---|');
  for (const t of timings) {
    console.log(
      `| ${t.label} | ${median(t.stats).toFixed(0)} | ${median(t.all).toFixed(0)} | ${t.all.map((x) => x.toFixed(0)).join(', ')} |`,
    );
  }
  for (const [label, text] of read) console.log(`  top stats read (${label}): ${text}`);
  const unfiltered = read.get('unfiltered');
  const same = [...read].filter(([label, text]) => label !== 'unfiltered' && text === unfiltered).map(([l]) => l);
  if (same.length > 0) {
    console.log(`RESULT: FAILED: the filtered overview shows the unfiltered numbers (${same.join(', ')})`);
    process.exitCode = 1;
  }
  console.log(
    `  server memory: VmHWM (peak) ${firstPeak.toFixed(0)} MB while building the derived tables ` +
      `(each build in a child process, which peaked at ${buildPeak.toFixed(0)} MB); after the restart ` +
      `VmRSS ${mem.rssMb.toFixed(0)} MB at the end, VmHWM ${mem.peakMb.toFixed(0)} MB`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
