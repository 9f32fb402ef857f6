/**
 * Ported from plausible/analytics
 * `test/plausible_web/controllers/api/external_stats_controller/query_timezone_test.exs`
 * at 26803bdfdaa179af94dc3fe4e96ae1dd781fa5e1 (of the two stored versions, the one holding every
 * test of the other and "uses site timezone for legacy_time_on_page_cutoff conversion"). Every
 * test posts to `/api/v2/query`; each sets the site's time zone (the fixture's `timezone`).
 *
 * The first two tests fix Plausible's clock (`Plausible.Stats.Query.Test.fix_now`) to make
 * "today" a chosen day; a real server's clock cannot be set through the public API, so they are
 * pending. The last three need the site setting `legacy_time_on_page_cutoff` (and the
 * `new_time_on_page` feature flag): legacy time on page, which we do not have.
 */
import type { PlausibleEvent, PortedCase, Source, Verdict } from '../case.js';

const src = (test: string): Source => ({
  file: 'test/plausible_web/controllers/api/external_stats_controller/query_timezone_test.exs',
  test,
  commit: '26803bdfdaa179af94dc3fe4e96ae1dd781fa5e1',
});

const SAME = { kind: 'same' } as const;
const FIX_NOW: Verdict = {
  kind: 'pending',
  why: "fix_now: the server's clock (the day `day` means) cannot be fixed through the public API",
};
/**
 * A day whose midnight shows twice, or whose last hour does: our day runs from its first midnight
 * to the next day's first, so the hour shown twice is in it; Plausible starts such a day at the
 * later midnight (Havana) or ends it at the first 23:59:59 (Asuncion), leaving that hour out of
 * both days.
 */
const DST_OVERLAP: Verdict = {
  kind: 'differs',
  why: 'dst-overlap',
  ours: { status: 200, results: [{ dimensions: [], metrics: [3] }] },
};
const LEGACY_CUTOFF: Verdict = {
  kind: 'pending',
  why: 'legacy time_on_page before the site setting legacy_time_on_page_cutoff (new_time_on_page flag)',
};

const pv = (timestamp: string, fields: Partial<PlausibleEvent> = {}): PlausibleEvent => ({
  name: 'pageview',
  timestamp,
  ...fields,
});
const eng = (timestamp: string, fields: Partial<PlausibleEvent> = {}): PlausibleEvent => ({
  name: 'engagement',
  timestamp,
  ...fields,
});

const RANGES = 'query parser timezone conversion for date ranges';
const CUTOFF = 'legacy_time_on_page_cutoff timezone handling';

const count = (n: number) => ({ status: 200 as const, results: [{ dimensions: [], metrics: [n] }] });
const TIME_ON_PAGE_BY_PAGE = { metrics: ['time_on_page'], date_range: 'all', dimensions: ['event:page'] };
const byPage = (home: number) => ({
  status: 200 as const,
  results: [
    { metrics: [home], dimensions: ['/'] },
    { metrics: [null], dimensions: ['/exit'] },
  ],
});

export const CASES: PortedCase[] = [
  {
    source: src(`${RANGES} › uses site timezone to determine 'today' (negative offset)`),
    fixture: {
      timezone: 'America/New_York',
      events: [pv('2024-01-01 12:00:00'), pv('2024-01-02 12:00:00'), pv('2024-01-02 14:00:00')],
    },
    // fix_now(~U[2024-01-02 02:00:00Z]): 9pm on 1 January in New York.
    query: { metrics: ['pageviews'], date_range: 'day' },
    expect: count(1),
    verdict: FIX_NOW,
  },
  {
    source: src(`${RANGES} › uses site timezone to determine 'today' (positive offset)`),
    fixture: {
      timezone: 'Asia/Tokyo',
      events: [pv('2024-01-01 10:00:00'), pv('2024-01-01 12:00:00'), pv('2024-01-02 12:00:00')],
    },
    // fix_now(~U[2024-01-01 16:00:00Z]): 01:00 on 2 January in Tokyo.
    query: { metrics: ['pageviews'], date_range: 'day' },
    expect: count(1),
    verdict: FIX_NOW,
  },
  {
    source: src(`${RANGES} › handles timezone gap when date starts at non-existent midnight (spring forward)`),
    fixture: {
      timezone: 'America/Santiago',
      events: [pv('2022-09-11 03:59:00'), pv('2022-09-11 04:00:00'), pv('2022-09-11 05:00:00')],
    },
    query: { metrics: ['pageviews'], date_range: ['2022-09-11', '2022-09-11'] },
    expect: count(2),
    verdict: SAME,
  },
  {
    source: src(`${RANGES} › handles ambiguous datetime at start of range (fall back)`),
    fixture: {
      timezone: 'America/Havana',
      events: [pv('2023-11-05 04:30:00'), pv('2023-11-05 05:30:00'), pv('2023-11-05 06:30:00')],
    },
    query: { metrics: ['pageviews'], date_range: ['2023-11-05', '2023-11-05'] },
    expect: count(2),
    verdict: DST_OVERLAP,
  },
  {
    source: src(`${RANGES} › handles ambiguous datetime at end of range (fall back)`),
    fixture: {
      timezone: 'America/Asuncion',
      events: [pv('2024-03-23 12:00:00'), pv('2024-03-24 02:58:00'), pv('2024-03-24 03:00:00')],
    },
    query: { metrics: ['pageviews'], date_range: ['2024-03-23', '2024-03-23'] },
    expect: count(2),
    verdict: DST_OVERLAP,
  },
  {
    // Site setting: legacy_time_on_page_cutoff 2024-01-01 (midnight in New York: 05:00 UTC).
    source: src(`${CUTOFF} › uses site timezone for legacy_time_on_page_cutoff conversion`),
    fixture: {
      timezone: 'America/New_York',
      events: [
        pv('2024-01-01 03:00:00', { user_id: 1 }),
        pv('2024-01-01 03:10:00', { user_id: 1, pathname: '/exit' }),
        pv('2024-01-01 06:00:00', { user_id: 2 }),
        eng('2024-01-01 06:05:00', { user_id: 2, engagement_time: 90_000 }),
      ],
    },
    query: TIME_ON_PAGE_BY_PAGE,
    expect: byPage(345),
    verdict: LEGACY_CUTOFF,
  },
  {
    // Site setting: legacy_time_on_page_cutoff 2022-09-11 (Santiago has no midnight that day).
    source: src(`${CUTOFF} › handles timezone gap in legacy_time_on_page_cutoff date`),
    fixture: {
      timezone: 'America/Santiago',
      events: [
        pv('2022-09-11 03:30:00', { user_id: 1 }),
        pv('2022-09-11 03:40:00', { user_id: 1, pathname: '/exit' }),
        pv('2022-09-11 05:00:00', { user_id: 2 }),
        eng('2022-09-11 05:05:00', { user_id: 2, engagement_time: 60_000 }),
      ],
    },
    query: TIME_ON_PAGE_BY_PAGE,
    expect: byPage(330),
    verdict: LEGACY_CUTOFF,
  },
  {
    // Site setting: legacy_time_on_page_cutoff 2023-11-05 (Havana's midnight happens twice).
    source: src(`${CUTOFF} › handles ambiguous datetime in legacy_time_on_page_cutoff date`),
    fixture: {
      timezone: 'America/Havana',
      events: [
        pv('2023-11-05 03:30:00', { user_id: 1 }),
        pv('2023-11-05 03:40:00', { user_id: 1, pathname: '/exit' }),
        pv('2023-11-05 04:30:00', { user_id: 2 }),
        eng('2023-11-05 04:35:00', { user_id: 2, engagement_time: 90_000 }),
        pv('2023-11-05 05:30:00', { user_id: 3 }),
        eng('2023-11-05 05:35:00', { user_id: 3, engagement_time: 30_000 }),
      ],
    },
    query: TIME_ON_PAGE_BY_PAGE,
    expect: byPage(240),
    verdict: LEGACY_CUTOFF,
  },
];
