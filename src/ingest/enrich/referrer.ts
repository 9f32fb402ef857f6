/**
 * Referrer → stored referrer, source and channel (docs/DATA.md §5).
 *
 * Why it exists: the dashboard attributes visits by source ("Google", "Hacker News",
 * "example.com") and by a GA4-style channel ("Organic Search", "Email", …). Both are
 * derived once at ingest so queries group by plain columns. Well-known hosts map to
 * one display name (google.de, google.co.uk → Google; t.co, x.com → Twitter) via the
 * data table below; the same table gives each name its channel category and the short
 * utm_source spellings people use ("fb", "ig", "hn").
 */
import { normalizeHost } from './url.js';

export type SourceCategory = 'search' | 'social' | 'video' | 'email' | 'shopping' | null;

export interface KnownSource {
  name: string;
  category: SourceCategory;
  /** Registrable hosts; subdomains match too unless `exactHosts`. */
  hosts: readonly string[];
  /** Extra host patterns, e.g. country domains. */
  patterns?: readonly RegExp[];
  /** utm_source spellings (case-insensitive, besides the name itself). */
  aliases?: readonly string[];
  /** Only the listed hosts match, not their subdomains (e.g. substack.com but not x.substack.com). */
  exactHosts?: boolean;
}

/** `name.<cc>`, `name.co.<cc>`, `name.com.<cc>` and their subdomains. */
const country = (name: string): RegExp => new RegExp(`(^|\\.)${name}\\.(?:com?\\.)?[a-z]{2}$`);

// biome-ignore format: one source per line reads best
export const KNOWN_SOURCES: readonly KnownSource[] = [
  // Search engines
  { name: 'Google', category: 'search', hosts: ['google.com'], patterns: [country('google')], aliases: ['adwords'] },
  { name: 'Bing', category: 'search', hosts: ['bing.com'] },
  { name: 'DuckDuckGo', category: 'search', hosts: ['duckduckgo.com'], aliases: ['ddg'] },
  { name: 'Yahoo', category: 'search', hosts: ['yahoo.com'], patterns: [country('yahoo')] },
  { name: 'Yandex', category: 'search', hosts: ['yandex.ru', 'yandex.com', 'ya.ru'], patterns: [country('yandex')] },
  { name: 'Baidu', category: 'search', hosts: ['baidu.com'] },
  { name: 'Ecosia', category: 'search', hosts: ['ecosia.org'] },
  { name: 'Brave Search', category: 'search', hosts: ['search.brave.com'], aliases: ['brave'] },
  { name: 'Qwant', category: 'search', hosts: ['qwant.com'] },
  { name: 'Startpage', category: 'search', hosts: ['startpage.com'] },
  { name: 'Naver', category: 'search', hosts: ['naver.com'] },
  // Social networks, communities, messengers
  { name: 'Facebook', category: 'social', hosts: ['facebook.com', 'fb.com', 'fb.me'], aliases: ['fb'] },
  { name: 'Instagram', category: 'social', hosts: ['instagram.com'], aliases: ['ig'] },
  { name: 'Twitter', category: 'social', hosts: ['twitter.com', 't.co', 'x.com'], aliases: ['x', 'tw'] },
  { name: 'Reddit', category: 'social', hosts: ['reddit.com', 'redd.it'] },
  { name: 'LinkedIn', category: 'social', hosts: ['linkedin.com', 'lnkd.in'] },
  { name: 'Hacker News', category: 'social', hosts: ['news.ycombinator.com'], aliases: ['hn', 'hackernews', 'ycombinator'] },
  { name: 'Pinterest', category: 'social', hosts: ['pinterest.com', 'pin.it'], patterns: [country('pinterest')] },
  { name: 'TikTok', category: 'social', hosts: ['tiktok.com'] },
  { name: 'Product Hunt', category: 'social', hosts: ['producthunt.com'], aliases: ['producthunt'] },
  { name: 'Stack Overflow', category: 'social', hosts: ['stackoverflow.com'], aliases: ['stackoverflow'] },
  { name: 'Medium', category: 'social', hosts: ['medium.com'] },
  { name: 'Slack', category: 'social', hosts: ['slack.com'] },
  { name: 'Discord', category: 'social', hosts: ['discord.com', 'discord.gg', 'discordapp.com'] },
  { name: 'Telegram', category: 'social', hosts: ['t.me', 'telegram.org', 'telegram.me'] },
  { name: 'WhatsApp', category: 'social', hosts: ['whatsapp.com', 'wa.me'] },
  { name: 'Bluesky', category: 'social', hosts: ['bsky.app'], aliases: ['bsky'] },
  { name: 'Threads', category: 'social', hosts: ['threads.net', 'threads.com'] },
  // Video
  { name: 'YouTube', category: 'video', hosts: ['youtube.com', 'youtu.be'], aliases: ['yt'] },
  { name: 'Vimeo', category: 'video', hosts: ['vimeo.com'] },
  { name: 'Twitch', category: 'video', hosts: ['twitch.tv'] },
  // Web mail
  { name: 'Gmail', category: 'email', hosts: ['mail.google.com'] },
  { name: 'Outlook', category: 'email', hosts: ['outlook.live.com', 'outlook.office.com', 'outlook.office365.com'] },
  { name: 'Yahoo Mail', category: 'email', hosts: ['mail.yahoo.com'], aliases: ['yahoomail'] },
  { name: 'Proton Mail', category: 'email', hosts: ['mail.proton.me'], aliases: ['protonmail'] },
  // Shopping
  { name: 'Amazon', category: 'shopping', hosts: ['amazon.com'], patterns: [country('amazon')] },
  { name: 'eBay', category: 'shopping', hosts: ['ebay.com'], patterns: [country('ebay')] },
  { name: 'Etsy', category: 'shopping', hosts: ['etsy.com'] },
  // Other well-known referrers (channel: Referral)
  { name: 'GitHub', category: null, hosts: ['github.com'] },
  { name: 'Wikipedia', category: null, hosts: ['wikipedia.org'] },
  { name: 'ChatGPT', category: null, hosts: ['chatgpt.com', 'chat.openai.com'] },
  { name: 'Perplexity', category: null, hosts: ['perplexity.ai'] },
  { name: 'Substack', category: null, hosts: ['substack.com'], exactHosts: true },
];

const SUFFIX_HOSTS = new Map<string, KnownSource>();
const EXACT_HOSTS = new Map<string, KnownSource>();
const ALIASES = new Map<string, KnownSource>();
for (const s of KNOWN_SOURCES) {
  for (const h of s.hosts) (s.exactHosts ? EXACT_HOSTS : SUFFIX_HOSTS).set(h, s);
  for (const a of [s.name, s.name.replace(/\s+/g, ''), ...(s.aliases ?? [])]) ALIASES.set(a.toLowerCase(), s);
}

/** The known source of a host (any case, with or without `www.`); the most specific listed host wins. */
export function sourceForHost(host: string): KnownSource | null {
  const h = normalizeHost(host);
  const exact = EXACT_HOSTS.get(h);
  if (exact) return exact;
  for (let cand = h; ; ) {
    const hit = SUFFIX_HOSTS.get(cand);
    if (hit) return hit;
    const dot = cand.indexOf('.');
    if (dot < 0) break;
    cand = cand.slice(dot + 1);
  }
  return KNOWN_SOURCES.find((s) => s.patterns?.some((p) => p.test(h))) ?? null;
}

/** The known source a utm_source or source name stands for: "fb", "Facebook", "facebook.com" → Facebook. */
export function knownSource(source: string): KnownSource | null {
  const s = source.trim().toLowerCase();
  if (s === '') return null;
  return ALIASES.get(s) ?? (/^[a-z0-9.-]+\.[a-z]{2,}$/.test(s) ? sourceForHost(s) : null);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * `referrer`: host (no `www.`) + path without query, fragment or trailing `/`; null when
 * empty, not an http(s) URL, or from the page's own host.
 * `source`: utm_source (a known spelling mapped to its name) if present, else the
 * referrer host's known name, else the referrer host; null means direct.
 */
export function referrerInfo(
  referrer: string | null,
  pageHostname: string,
  utmSource: string | null,
): { referrer: string | null; source: string | null } {
  let refHost: string | null = null;
  let ref: string | null = null;
  if (referrer !== null && referrer.trim() !== '') {
    try {
      const url = new URL(referrer.trim());
      const host = normalizeHost(url.hostname);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && host !== '' && host !== normalizeHost(pageHostname)) {
        refHost = host;
        ref = host + decode(url.pathname).replace(/\/+$/, '');
      }
    } catch {
      // unparseable referrer: treated as none
    }
  }
  const utm = utmSource?.trim() || null;
  let source: string | null = null;
  if (utm !== null) source = knownSource(utm)?.name ?? utm;
  else if (refHost !== null) source = sourceForHost(refHost)?.name ?? refHost;
  return { referrer: ref, source };
}

export const CHANNELS = [
  'Direct',
  'Cross-network',
  'Paid Shopping',
  'Paid Search',
  'Paid Social',
  'Paid Video',
  'Display',
  'Paid Other',
  'Organic Shopping',
  'Organic Social',
  'Organic Video',
  'Organic Search',
  'Referral',
  'Email',
  'Affiliates',
  'Audio',
  'SMS',
  'Mobile Push Notifications',
] as const;
export type Channel = (typeof CHANNELS)[number];

interface ChannelInput {
  source: string | null;
  medium: string | null;
  campaign: string | null;
  category: SourceCategory;
}

const PAID_MEDIUM = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const SHOPPING_CAMPAIGN = /^(.*(([^a-df-z]|^)shop|shopping).*)$/;
const EMAIL_WORDS = new Set(['email', 'e-mail', 'e_mail', 'e mail']);
const SOCIAL_MEDIUMS = new Set(['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']);
const DISPLAY_MEDIUMS = new Set(['display', 'banner', 'expandable', 'interstitial', 'cpm']);
const REFERRAL_MEDIUMS = new Set(['referral', 'app', 'link']);

const paid = (c: ChannelInput): boolean => c.medium !== null && PAID_MEDIUM.test(c.medium);
const shopping = (c: ChannelInput): boolean =>
  c.category === 'shopping' || (c.campaign !== null && SHOPPING_CAMPAIGN.test(c.campaign));

/** GA4's default channel group rules, first match wins; anything else with a source is Referral. */
const CHANNEL_RULES: ReadonlyArray<readonly [Channel, (c: ChannelInput) => boolean]> = [
  ['Direct', (c) => c.source === null && c.medium === null],
  ['Cross-network', (c) => c.campaign?.includes('cross-network') === true],
  ['Paid Shopping', (c) => shopping(c) && paid(c)],
  ['Paid Search', (c) => c.category === 'search' && paid(c)],
  ['Paid Social', (c) => c.category === 'social' && paid(c)],
  ['Paid Video', (c) => c.category === 'video' && paid(c)],
  ['Display', (c) => c.medium !== null && DISPLAY_MEDIUMS.has(c.medium)],
  ['Paid Other', paid],
  ['Organic Shopping', shopping],
  ['Organic Social', (c) => c.category === 'social' || (c.medium !== null && SOCIAL_MEDIUMS.has(c.medium))],
  ['Organic Video', (c) => c.category === 'video' || c.medium?.includes('video') === true],
  ['Organic Search', (c) => c.category === 'search' || c.medium === 'organic'],
  ['Referral', (c) => c.medium !== null && REFERRAL_MEDIUMS.has(c.medium)],
  ['Email', (c) => c.category === 'email' || EMAIL_WORDS.has(c.source ?? '') || EMAIL_WORDS.has(c.medium ?? '')],
  ['Affiliates', (c) => c.medium === 'affiliate'],
  ['Audio', (c) => c.medium === 'audio'],
  ['SMS', (c) => c.source === 'sms' || c.medium === 'sms'],
  ['Mobile Push Notifications', (c) => c.source === 'firebase' || /push$|mobile|notification/.test(c.medium ?? '')],
];

function clean(v: string | null, none: readonly string[]): string | null {
  const t = v?.trim().toLowerCase();
  return t && !none.includes(t) ? t : null;
}

/**
 * Default channel of a visit from its source (as returned by `referrerInfo`), utm_medium
 * and utm_campaign; all compared case-insensitively. Rule order:
 * Direct (no source, no medium) → Cross-network → Paid Shopping → Paid Search → Paid Social →
 * Paid Video → Display → Paid Other → Organic Shopping → Organic Social → Organic Video →
 * Organic Search → Referral (medium referral/app/link) → Email → Affiliates → Audio → SMS →
 * Mobile Push Notifications → Referral (everything else, where GA4 would say Unassigned).
 */
export function channel(source: string | null, utmMedium: string | null, utmCampaign: string | null): Channel {
  const src = clean(source, ['(direct)', '(none)', '(not set)']);
  const input: ChannelInput = {
    source: src,
    medium: clean(utmMedium, ['(none)', '(not set)']),
    campaign: clean(utmCampaign, ['(not set)']),
    category: src === null ? null : (knownSource(src)?.category ?? null),
  };
  return CHANNEL_RULES.find(([, test]) => test(input))?.[0] ?? 'Referral';
}
