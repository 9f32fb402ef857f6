/**
 * Events on both sides of a comparison, shared by the comparison suites (integration and
 * browser), which write their expected answers by hand from this description.
 *
 * All times UTC. Period P = 2024-02-28..29 (Feb 29 of a leap year):
 *   A  V1 02-28 10:00 pv /, 10:05 pv /pricing, 10:06 signup   Google, 3 events, 360 s (signup: plan pro)
 *   B  V2 02-28 12:00 pv /                                     direct, bounce
 *   C  V3 02-29 09:00 pv /blog                                 Hacker News, bounce
 *   D  V4 02-29 15:00 pv /, 15:10 pv /new-page                 direct, 600 s
 *   → 4 visitors, 4 visits, 6 pageviews, 7 events, bounce 0.5, duration 960/4 = 240 s
 * Previous period PP = 02-26..27:
 *   E  V1 02-26 10:00 pv /                                     Google, bounce
 *   F  V2 02-26 11:00 pv /, 11:20 pv /pricing                  direct, 1200 s
 *   G  V5 02-27 09:00 pv /old-page                             direct, bounce
 *   H  V3 02-27 10:00 pv /pricing, 10:01 signup                Hacker News, 60 s (signup: plan free)
 *   I  V4 02-27 20:00 pv /pricing                              direct, bounce
 *   → 5 visitors, 5 visits, 6 pageviews, 7 events, bounce 3/5 = 0.6, duration 1260/5 = 252 s
 * A year earlier (Feb 29 → Feb 28, so the year-over-year period is 2023-02-28 alone):
 *   J  V1 2023-02-28 10:00 pv /, 10:02 pv /blog               Google, 120 s
 *   K  V2 2023-03-01 08:00 pv /                                direct, bounce (outside it)
 */
import { type Ev, GOOGLE, HN, V1, V2, V3, V4, V5 } from './fixture.js';

export const COMPARE_EVENTS: Ev[] = [
  { ...V1, t: '2024-02-28T10:00:00Z', path: '/', r: GOOGLE },
  { ...V1, t: '2024-02-28T10:05:00Z', path: '/pricing', r: GOOGLE },
  { ...V1, t: '2024-02-28T10:06:00Z', path: '/pricing', r: GOOGLE, n: 'signup', p: { plan: 'pro' } },
  { ...V2, t: '2024-02-28T12:00:00Z', path: '/' },
  { ...V3, t: '2024-02-29T09:00:00Z', path: '/blog', r: HN },
  { ...V4, t: '2024-02-29T15:00:00Z', path: '/' },
  { ...V4, t: '2024-02-29T15:10:00Z', path: '/new-page' },
  { ...V1, t: '2024-02-26T10:00:00Z', path: '/', r: GOOGLE },
  { ...V2, t: '2024-02-26T11:00:00Z', path: '/' },
  { ...V2, t: '2024-02-26T11:20:00Z', path: '/pricing' },
  { ...V5, t: '2024-02-27T09:00:00Z', path: '/old-page' },
  { ...V3, t: '2024-02-27T10:00:00Z', path: '/pricing', r: HN },
  { ...V3, t: '2024-02-27T10:01:00Z', path: '/pricing', r: HN, n: 'signup', p: { plan: 'free' } },
  { ...V4, t: '2024-02-27T20:00:00Z', path: '/pricing' },
  { ...V1, t: '2023-02-28T10:00:00Z', path: '/', r: GOOGLE },
  { ...V1, t: '2023-02-28T10:02:00Z', path: '/blog', r: GOOGLE },
  { ...V2, t: '2023-03-01T08:00:00Z', path: '/' },
];
