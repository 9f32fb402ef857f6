/**
 * The ingestion pipeline: a list of named steps over one event, each of which may drop
 * it with a typed reason (counted in /metrics). The result is one stored row per site
 * the event names; the IP, full User-Agent and user id end here.
 */
import type { Metrics } from '../metrics.js';
import type { StoredRow } from '../storage/columns.js';
import type { Sessionizer } from '../storage/duckdb/sessionize.js';
import { isBot } from './enrich/bots.js';
import { deviceType } from './enrich/device.js';
import type { GeoLookup } from './enrich/geo.js';
import { channel, referrerInfo } from './enrich/referrer.js';
import { parsePageUrl } from './enrich/url.js';
import { parseUserAgent } from './enrich/user-agent.js';
import { userKey, utcDay, visitorId } from './enrich/visitor-id.js';
import { Drop } from './event.js';
import type { ValidatedEvent } from './validate.js';

export interface PipelineDeps {
  secret: Buffer;
  geo: GeoLookup;
  sessions: Sessionizer;
  nextSeq: () => bigint;
  /** null = any site accepted */
  siteAllowlist: ReadonlySet<string> | null;
  /** Sites registered in the site registry (or the config file); accepted even outside the allowlist. */
  isRegisteredSite?: (id: string) => boolean;
  metrics: Metrics;
}

/** Where the request came from; for batches each event may override ip and user agent. */
export interface Origin {
  ip: string;
  userAgent: string;
  /** Server-side batch: events without a user agent are not treated as bots. */
  batch?: boolean;
}

interface Work {
  readonly event: ValidatedEvent;
  readonly ip: string;
  readonly userAgent: string;
  readonly at: Date;
  readonly batch: boolean;
  row: Partial<StoredRow>;
}

type Step = (w: Work, deps: PipelineDeps) => Drop | undefined;

const checkSites: Step = (w, deps) => {
  const list = deps.siteAllowlist;
  if (list === null) return undefined;
  const allowed = (s: string) => list.has(s) || deps.isRegisteredSite?.(s) === true;
  return w.event.siteIds.every(allowed) ? undefined : new Drop('unknown_site', 'd: unknown site');
};

/**
 * Plausible's scripts report time on page and scroll depth as `n: "engagement"` events.
 * There are no engagement metrics yet, and stored as a custom event one would count as a
 * goal and turn every bounce into a two-event visit; so they are accepted and not stored.
 */
const skipEngagement: Step = (w) =>
  w.event.name === 'engagement' ? new Drop('engagement', 'engagement events are not stored') : undefined;

const filterBots: Step = (w) => {
  if (w.batch && w.userAgent === '') return undefined;
  return isBot(w.userAgent) ? new Drop('bot', 'bot user agent') : undefined;
};

const putPage: Step = (w) => {
  const page = parsePageUrl(w.event.url, w.event.hashMode);
  if (!page) return new Drop('invalid', 'u: not an http(s) URL');
  const ref = referrerInfo(w.event.referrer, page.hostname, page.utm.source);
  Object.assign(w.row, {
    event_name: w.event.name,
    pathname: page.pathname,
    hostname: page.hostname,
    referrer: ref.referrer,
    referrer_source: ref.source,
    channel: channel(ref.source, page.utm.medium, page.utm.campaign),
    utm_source: page.utm.source,
    utm_medium: page.utm.medium,
    utm_campaign: page.utm.campaign,
    utm_content: page.utm.content,
    utm_term: page.utm.term,
  });
  return undefined;
};

const putUserAgent: Step = (w) => {
  const ua = parseUserAgent(w.userAgent);
  Object.assign(w.row, {
    browser: ua.browser,
    browser_version: ua.browserVersion,
    os: ua.os,
    os_version: ua.osVersion,
    device_type: deviceType(w.event.screenWidth, ua.uaDevice),
    screen_width: w.event.screenWidth,
  });
  return undefined;
};

const putGeo: Step = (w, deps) => {
  const geo = deps.geo.lookup(w.ip);
  Object.assign(w.row, { country_code: geo.countryCode, region: geo.region, city: geo.city });
  return undefined;
};

const putProps: Step = (w) => {
  const props = w.event.props;
  Object.assign(w.row, {
    props: props && Object.keys(props).length > 0 ? JSON.stringify(props) : null,
    revenue_amount: w.event.revenueAmount,
    revenue_currency: w.event.revenueCurrency,
  });
  return undefined;
};

export const STEPS: readonly (readonly [string, Step])[] = [
  ['check_sites', checkSites],
  ['skip_engagement', skipEngagement],
  ['filter_bots', filterBots],
  ['put_page', putPage],
  ['put_user_agent', putUserAgent],
  ['put_geo', putGeo],
  ['put_props', putProps],
];

/** Runs every step; returns the rows to store (one per site) or the reason to drop. */
export function processEvent(event: ValidatedEvent, origin: Origin, deps: PipelineDeps, now = Date.now()): StoredRow[] | Drop {
  const w: Work = {
    event,
    ip: event.ip ?? origin.ip,
    userAgent: event.userAgent ?? origin.userAgent,
    at: event.timestamp ?? new Date(now),
    batch: origin.batch === true,
    row: {},
  };
  for (const [, step] of STEPS) {
    const drop = step(w, deps);
    if (drop) {
      deps.metrics.drop(drop.reason);
      return drop;
    }
  }
  const day = utcDay(w.at);
  return event.siteIds.map((siteId) => {
    const visitor = visitorId(deps.secret, day, siteId, w.ip, w.userAgent);
    const user = event.userId === null ? null : userKey(deps.secret, siteId, event.userId);
    const session = deps.sessions.assign(user ?? visitor, w.at.getTime(), now);
    return {
      ...(w.row as StoredRow),
      site_id: siteId,
      visitor_id: visitor,
      user_key: user,
      session_id: session,
      timestamp: w.at,
      seq: deps.nextSeq(),
    };
  });
}
