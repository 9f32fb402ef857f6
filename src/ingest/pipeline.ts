/**
 * The ingestion pipeline: a list of named steps over one event, each of which may drop
 * it with a typed reason (counted in /metrics). The result is one stored row per site
 * the event names; the IP, full User-Agent and user id end here.
 */
import type { Metrics } from '../metrics.js';
import { ENGAGEMENT, type StoredRow } from '../storage/columns.js';
import type { Sessionizer } from '../storage/sessionizer.js';
import { utcDate } from '../utc-days.js';
import { isBot } from './enrich/bots.js';
import { deviceType } from './enrich/device.js';
import type { GeoLookup } from './enrich/geo.js';
import { memoize } from './enrich/memoize.js';
import { channel, referrerInfo } from './enrich/referrer.js';
import { type PageUrl, parsePageUrl } from './enrich/url.js';
import { parseUserAgent } from './enrich/user-agent.js';
import { userKey, visitorId } from './enrich/visitor-id.js';
import { Drop, type DropReason } from './event.js';
import type { ShieldRules } from './guards/shields.js';
import type { ValidatedEvent } from './validate.js';

export interface PipelineDeps {
  secret: Buffer;
  geo: Pick<GeoLookup, 'lookup'>;
  sessions: Sessionizer;
  /** null = any site accepted */
  siteAllowlist: ReadonlySet<string> | null;
  /** Sites registered in the site registry (or the config file); accepted even outside the allowlist. */
  isRegisteredSite?: (id: string) => boolean;
  /** The site's compiled shields (src/ingest/guards/shields.ts); null or absent = none. */
  shields?: (siteId: string) => ShieldRules | null;
  /** Where drops are counted (an upload's checking pass counts none: the import pass counts them). */
  metrics: Pick<Metrics, 'drop'>;
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
  /** Every column from the start, so that the steps fill one object of a fixed shape. */
  row: StoredRow;
  /** Per site of the event (same order), the shield that removes its row; null until one does. */
  shielded: (DropReason | null)[] | null;
}

/**
 * A row with every column in schema order: objects of one shape are the ones V8 handles
 * fastest, and building each row's properties in a different order (or by spreading) was
 * a measurable share of the ingest profile.
 */
const blankRow = (at: Date): StoredRow => ({
  site_id: '',
  visitor_id: 0n,
  session_id: 0n,
  user_key: null,
  timestamp: at,
  event_name: '',
  pathname: '',
  hostname: '',
  referrer: null,
  referrer_source: null,
  channel: '',
  utm_source: null,
  utm_medium: null,
  utm_campaign: null,
  utm_content: null,
  utm_term: null,
  browser: null,
  browser_version: null,
  os: null,
  os_version: null,
  device_type: null,
  screen_width: null,
  country_code: null,
  region: null,
  city: null,
  props: null,
  revenue_amount: null,
  revenue_currency: null,
  seq: 0n,
  engaged_ms: null,
  scroll_depth: null,
  region_code: null,
  city_geoname_id: null,
});

type Step = (w: Work, deps: PipelineDeps) => Drop | undefined;

const checkSites: Step = (w, deps) => {
  const list = deps.siteAllowlist;
  if (list === null) return undefined;
  const allowed = (s: string) => list.has(s) || deps.isRegisteredSite?.(s) === true;
  return w.event.siteIds.every(allowed) ? undefined : new Drop('unknown_site', 'd: unknown site');
};

/**
 * Plausible's scripts report time on page and scroll depth as `n: "engagement"` events with
 * `e` and `sd`. They are stored as engagement rows (columns.ts), which no count reads; one
 * carrying neither has nothing to report and is dropped.
 */
const checkEngagement: Step = (w) =>
  w.event.name === ENGAGEMENT && (w.event.engagedMs ?? null) === null && (w.event.scrollDepth ?? null) === null
    ? new Drop('engagement', 'engagement event without e or sd')
    : undefined;

const filterBots: Step = (w) => {
  if (w.batch && w.userAgent === '') return undefined;
  return isBot(w.userAgent) ? new Drop('bot', 'bot user agent') : undefined;
};

/** What a page URL and a referrer say about the page and where its visitor came from. */
interface PageAttribution {
  page: PageUrl;
  referrer: string | null;
  source: string | null;
  channel: string;
}

function attribute(url: string, hashMode: boolean, referrer: string | null): PageAttribution | null {
  const page = parsePageUrl(url, hashMode);
  if (!page) return null;
  const ref = referrerInfo(referrer, page.hostname, page.utm.source);
  return { page, referrer: ref.referrer, source: ref.source, channel: channel(ref.source, page.utm.medium, page.utm.campaign) };
}

/**
 * A site's page URLs and referrers repeat from event to event: parsing both and deciding the
 * channel was a fifth of the pipeline's time. The key is `<h|p><-|+><url length>:<url><referrer>`
 * (hash mode, whether there is a referrer): the length keeps any URL apart from the referrer.
 */
const attributionMemo = memoize((key: string) => {
  const colon = key.indexOf(':', 2);
  const end = colon + 1 + Number(key.slice(2, colon));
  return attribute(key.slice(colon + 1, end), key[0] === 'h', key[1] === '-' ? null : key.slice(end));
});

const attributionKey = (e: ValidatedEvent) =>
  `${e.hashMode ? 'h' : 'p'}${e.referrer === null ? '-' : '+'}${e.url.length}:${e.url}${e.referrer ?? ''}`;

const putPage: Step = (w) => {
  const a = attributionMemo(attributionKey(w.event));
  if (!a) return new Drop('invalid', 'u: not an http(s) URL');
  const { page } = a;
  const r = w.row;
  r.event_name = w.event.name;
  r.pathname = page.pathname;
  r.hostname = page.hostname;
  r.referrer = a.referrer;
  r.referrer_source = a.source;
  r.channel = a.channel;
  r.utm_source = page.utm.source;
  r.utm_medium = page.utm.medium;
  r.utm_campaign = page.utm.campaign;
  r.utm_content = page.utm.content;
  r.utm_term = page.utm.term;
  return undefined;
};

const putUserAgent: Step = (w) => {
  const known = w.event.known;
  const ua = known
    ? {
        browser: known.browser,
        browserVersion: known.browserVersion,
        os: known.os,
        osVersion: known.osVersion,
        uaDevice: known.device,
      }
    : parseUserAgent(w.userAgent);
  const r = w.row;
  r.browser = ua.browser;
  r.browser_version = ua.browserVersion;
  r.os = ua.os;
  r.os_version = ua.osVersion;
  r.device_type = deviceType(w.event.screenWidth, ua.uaDevice);
  r.screen_width = w.event.screenWidth;
  return undefined;
};

const putGeo: Step = (w, deps) => {
  const geo = w.event.known ?? deps.geo.lookup(w.ip);
  w.row.country_code = geo.countryCode;
  w.row.region = geo.region;
  w.row.city = geo.city;
  w.row.region_code = geo.regionCode ?? null;
  w.row.city_geoname_id = geo.cityGeonameId ?? null;
  return undefined;
};

/**
 * A shield belongs to one site: of an event for several sites only the shielded sites' rows
 * go (each counted); the event is dropped when no row is left.
 */
const applyShields: Step = (w, deps) => {
  const rulesOf = deps.shields;
  if (rulesOf === undefined) return undefined;
  const ids = w.event.siteIds;
  const r = w.row;
  let kept = ids.length;
  for (let i = 0; i < ids.length; i++) {
    const reason = rulesOf(ids[i] as string)?.verdict({
      ip: w.ip,
      country: r.country_code,
      pathname: r.pathname,
      hostname: r.hostname,
    });
    if (!reason) continue;
    w.shielded ??= ids.map(() => null);
    w.shielded[i] = reason;
    kept--;
  }
  const first = w.shielded?.[0];
  return kept === 0 && first ? new Drop(first, `excluded by the shields of site ${ids[0]}`) : undefined;
};

/** An engagement row carries its measures (`e`, `sd`); on other events they are not stored. */
const putEngagement: Step = (w) => {
  if (w.event.name !== ENGAGEMENT) return undefined;
  w.row.engaged_ms = w.event.engagedMs ?? null;
  w.row.scroll_depth = w.event.scrollDepth ?? null;
  return undefined;
};

const putProps: Step = (w) => {
  const props = w.event.props;
  w.row.props = props && Object.keys(props).length > 0 ? JSON.stringify(props) : null;
  w.row.revenue_amount = w.event.revenueAmount;
  w.row.revenue_currency = w.event.revenueCurrency;
  return undefined;
};

export const STEPS: readonly (readonly [string, Step])[] = [
  ['check_sites', checkSites],
  ['check_engagement', checkEngagement],
  ['filter_bots', filterBots],
  ['put_page', putPage],
  ['put_user_agent', putUserAgent],
  ['put_geo', putGeo],
  ['apply_shields', applyShields],
  ['put_props', putProps],
  ['put_engagement', putEngagement],
];

/** Runs every step; returns the rows to store (one per site) or the reason to drop. */
export function processEvent(event: ValidatedEvent, origin: Origin, deps: PipelineDeps, now = Date.now()): StoredRow[] | Drop {
  const at = event.timestamp ?? new Date(now);
  const w: Work = {
    event,
    ip: event.ip ?? origin.ip,
    userAgent: event.userAgent ?? origin.userAgent,
    at,
    batch: origin.batch === true,
    row: blankRow(at),
    shielded: null,
  };
  for (const [, step] of STEPS) {
    const drop = step(w, deps);
    if (drop) {
      // Every site's row shielded: one count per row, under each site's own reason.
      if (w.shielded?.every((r) => r !== null)) for (const reason of w.shielded) deps.metrics.drop(reason as DropReason);
      else deps.metrics.drop(drop.reason);
      return drop;
    }
  }
  const day = utcDate(at);
  const shielded = w.shielded;
  if (shielded) for (const reason of shielded) if (reason) deps.metrics.drop(reason);
  const siteIds = shielded ? event.siteIds.filter((_, i) => shielded[i] === null) : event.siteIds;
  return siteIds.map((siteId, i) => {
    // One row per site: the first is the row the steps filled, the others copies of it.
    const row = i === 0 ? w.row : { ...w.row };
    row.site_id = siteId;
    row.visitor_id =
      event.known === undefined
        ? visitorId(deps.secret, day, siteId, w.ip, w.userAgent)
        : visitorId(deps.secret, day, siteId, event.known.visitor, '');
    row.user_key = event.userId === null ? null : userKey(deps.secret, siteId, event.userId);
    const identity = row.user_key ?? row.visitor_id;
    // An engagement row reports on a visit; it neither starts nor extends one.
    row.session_id =
      row.event_name === ENGAGEMENT
        ? deps.sessions.peek(identity, at.getTime())
        : deps.sessions.assign(identity, at.getTime(), now);
    return row;
  });
}
