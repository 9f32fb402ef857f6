/**
 * Dashboard benchmark: how long until a site owner sees numbers? Opens the overview of the
 * query benchmark's data set (10M events over 30 days by default) in headless Chromium and
 * times, from navigation start, (1) the top stats showing numbers and (2) every panel
 * loaded. The baseline, measured in the same run: the overview's first API call alone
 * (`/api/stats/main`), fetched straight from Node, cold (its first run scans the events and
 * fills the day totals) and warm. The page loads run after it and reuse those totals;
 * their other panels (breakdowns) scan the events every time.
 *
 *   npm run build && node --import tsx bench/dashboard.ts
 *
 * Environment: BENCH_EVENTS (10000000), BENCH_RUNS (3), BENCH_TMPDIR. Needs /usr/bin/chromium
 * (the test command installs it).
 */
import { chromium } from 'playwright-core';
import { ensureDataset, MAIN_SITE } from './generate.js';
import { envInt, TMP } from './lib.js';
import { signIn, startServer, stopServer } from './server.js';

const EVENTS = envInt('BENCH_EVENTS', 10_000_000, 1000, 1_000_000_000);
const RUNS = envInt('BENCH_RUNS', 3, 1, 100);
const T0 = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const ds = await ensureDataset({ events: EVENTS, days: 30, baseDir: TMP, log });
  const { child, url } = await startServer(ds.eventsDir, log);
  const cookie = await signIn(url);
  const created = await fetch(`${url}/api/sites`, {
    method: 'POST',
    headers: { cookie, origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ id: MAIN_SITE }),
  });
  if (created.status !== 201) throw new Error(`POST /api/sites: ${created.status} ${await created.text()}`);
  const range = { start_date: ds.startDate, end_date: ds.endDate };

  // Baseline: the main stats call alone. The first run is cold (page cache, day totals).
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
  const page = `${url}/sites/${MAIN_SITE}/overview?period=custom&from=${ds.startDate}&to=${ds.endDate}`;
  const stats: number[] = [];
  const all: number[] = [];
  let shown = '';
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const [name, value] = cookie.split('=');
      await context.addCookies([{ name: name ?? '', value: value ?? '', url }]);
      const tab = await context.newPage();
      const t = performance.now();
      await tab.goto(page);
      await tab.waitForSelector('section.top-stats[aria-busy="false"]', { timeout: 120_000 });
      stats.push(performance.now() - t);
      shown = ((await tab.locator('section.top-stats').textContent()) ?? '').replace(/\s+/g, ' ').slice(0, 160);
      await tab.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, undefined, {
        timeout: 300_000,
      });
      all.push(performance.now() - t);
      await context.close();
    }
  } finally {
    await browser.close();
    await stopServer(child);
  }
  const a = median(api);
  console.log('');
  console.log(`${EVENTS.toLocaleString('en-US')} events, ${ds.startDate} … ${ds.endDate}; medians of ${RUNS} runs`);
  console.log(
    `  baseline GET /api/stats/main alone: cold (first run) ${cold.toFixed(0)} ms, then ${a.toFixed(0)} ms (day totals reused)`,
  );
  console.log(
    `  dashboard: top stats show numbers:   ${median(stats).toFixed(0)} ms (${(median(stats) / cold).toFixed(2)}× the cold main call)`,
  );
  console.log(
    `  dashboard: every panel loaded:       ${median(all).toFixed(0)} ms (${(median(all) / cold).toFixed(2)}× the cold main call)`,
  );
  console.log(
    `  every run: top stats ${stats.map((x) => x.toFixed(0)).join(', ')} ms; all panels ${all.map((x) => x.toFixed(0)).join(', ')} ms`,
  );
  console.log(`  top stats read: ${shown}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
