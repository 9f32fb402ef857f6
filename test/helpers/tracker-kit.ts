/**
 * What the tracker's browser tests share: the bodies the script sends (viewport 1280 wide, no
 * referrer unless given), the attributes every fixture's tag needs, and the events a site
 * stored, read back through the raw export.
 */
import { expect } from 'vitest';

/** The body the tracker sends for an event. */
export const sentEvent = (n: string, u: string, d: string, extra: Record<string, unknown> = {}) => ({
  n,
  u,
  d,
  r: null,
  w: 1280,
  ...extra,
});

/** The body the tracker sends for a page view. */
export const sentPageview = (u: string, d: string, extra: Record<string, unknown> = {}) => sentEvent('pageview', u, d, extra);

/**
 * The body the tracker sends for the engagement of a page view: the page view's own body
 * (`extra`: its `p`, `h`) with the deepest scroll `sd` (%) and the engaged time `e` (ms).
 */
export const sentEngagement = (u: string, d: string, sd: number, e: number, extra: Record<string, unknown> = {}) => ({
  ...sentEvent('engagement', u, d, extra),
  sd,
  e,
});

/** Attributes every fixture needs: Chromium under Playwright is an automated browser. */
export const trackerAttrs = (domain: string) => ({ 'data-domain': domain, 'data-allow-automation': true as const });

/** The site's stored events of the last 7 days (raw export), oldest first. */
export async function storedEvents(serverUrl: string, key: string, site: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${serverUrl}/api/stats/export?site_id=${site}&period=7d&kind=events&format=json`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
