/**
 * The translation tables of translate.ts, checked: every row, ingested alone into a site of
 * its own, is answered by `POST /api/v2/query` with exactly the Plausible value it stands for.
 * A row marked `fails` runs as a test that must fail (it.fails), with its reason in the name,
 * so that mending the difference is noticed.
 */
import { describe, expect, it } from 'vitest';
import type { PlausibleEvent } from './case.js';
import { type CompatServer, createSite, ingest, query, showFails, useCompatServer } from './runner.js';
import { BROWSERS, GEO, OPERATING_SYSTEMS, REFERRERS, SCREENS, SOURCES, translate } from './translate.js';

interface Check {
  name: string;
  fails?: string;
  event: Omit<PlausibleEvent, 'name' | 'timestamp'>;
  dimensions: string[];
  /** Plausible's answer for the row. */
  values: (string | number)[];
}

const orNotSet = (v: string) => (v === '' ? '(not set)' : v);
const some = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));

const CHECKS: Check[] = [
  ...BROWSERS.map((r) => ({
    name: `browser ${JSON.stringify(r.value)}${r.version === undefined ? '' : ` version ${r.version}`}`,
    fails: r.fails,
    event: some({ browser: r.value, browser_version: r.version }),
    dimensions: r.version === undefined ? ['visit:browser'] : ['visit:browser', 'visit:browser_version'],
    values: r.version === undefined ? [orNotSet(r.value)] : [orNotSet(r.value), r.version],
  })),
  ...OPERATING_SYSTEMS.map((r) => ({
    name: `operating_system ${JSON.stringify(r.value)}${r.version === undefined ? '' : ` version ${r.version}`}`,
    fails: r.fails,
    event: some({ operating_system: r.value, operating_system_version: r.version }),
    dimensions: r.version === undefined ? ['visit:os'] : ['visit:os', 'visit:os_version'],
    values: r.version === undefined ? [orNotSet(r.value)] : [orNotSet(r.value), r.version],
  })),
  ...SCREENS.map((r) => ({
    name: `screen_size ${r.value}`,
    fails: r.fails,
    event: { screen_size: r.value },
    dimensions: ['visit:device'],
    values: [r.value],
  })),
  ...SOURCES.map((r) => ({
    name: `referrer_source ${r.value}`,
    fails: r.fails,
    event: { referrer_source: r.value },
    dimensions: ['visit:source'],
    values: [r.value],
  })),
  ...REFERRERS.map((r) => ({
    name: `referrer ${r.value}`,
    fails: r.fails,
    event: { referrer: r.value },
    dimensions: ['visit:referrer'],
    values: [r.value],
  })),
  ...GEO.map((r) => {
    const fields: [string, string, string | number | undefined][] = [
      ['visit:country', 'country_code', r.country_code],
      ['visit:region', 'subdivision1_code', r.subdivision1_code],
      ['visit:city', 'city_geoname_id', r.city_geoname_id],
    ];
    const present = fields.filter(([, , v]) => v !== undefined) as [string, string, string | number][];
    return {
      name: `place ${present.map(([, k, v]) => `${k} ${v}`).join(', ')}`,
      fails: r.fails,
      event: Object.fromEntries(present.map(([, k, v]) => [k, v])),
      dimensions: present.map(([d]) => d),
      values: present.map(([, , v]) => v),
    };
  }),
];

async function check(ctx: CompatServer, c: Check, siteId: string) {
  await createSite(ctx, siteId);
  await ingest(ctx, translate([{ name: 'pageview', timestamp: '2021-01-01 00:00:00', ...c.event }], siteId, new Date()));
  const got = await query(ctx, siteId, { metrics: ['visitors'], date_range: 'all', dimensions: c.dimensions });
  expect(got.status, got.text).toBe(200);
  expect(got.json?.results).toEqual([{ dimensions: c.values, metrics: [1] }]);
}

describe('translate.ts tables: each row is answered with the Plausible value it stands for', () => {
  const ctx = useCompatServer();
  CHECKS.forEach((c, i) => {
    const run = () => check(ctx(), c, `row-${i}.compat.test`);
    if (c.fails === undefined || showFails) it(c.fails === undefined ? c.name : `[fails: ${c.fails}] ${c.name}`, run);
    else it.fails(`[fails: ${c.fails}] ${c.name}`, run);
  });
});
