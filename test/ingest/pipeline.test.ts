/**
 * The pipeline's named steps over real enrichment (bundled geo database, real UA parser).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GeoLookup } from '../../src/ingest/enrich/geo.js';
import { Drop } from '../../src/ingest/event.js';
import { type ShieldRules, shieldRules } from '../../src/ingest/guards/shields.js';
import { type PipelineDeps, processEvent } from '../../src/ingest/pipeline.js';
import { ValidationError, validateEvent } from '../../src/ingest/validate.js';
import { Metrics } from '../../src/metrics.js';
import { shieldsField } from '../../src/sites/shields.js';
import type { StoredRow } from '../../src/storage/columns.js';
import { Sessionizer } from '../../src/storage/sessionizer.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

let deps: PipelineDeps;
beforeAll(async () => {
  deps = {
    secret: Buffer.from('unit-test-secret-000000'),
    geo: await GeoLookup.open(),
    sessions: new Sessionizer(1800_000),
    siteAllowlist: null,
    metrics: new Metrics(() => 0),
  };
});

const run = (body: Record<string, unknown>, ua = CHROME, ip = '8.8.8.8', d = deps) =>
  processEvent(validateEvent(body, { batch: false }), { ip, userAgent: ua }, d, Date.parse('2026-03-01T12:00:00Z'));

const rows = (r: StoredRow[] | Drop): StoredRow[] => {
  if (r instanceof Drop) throw new Error(`dropped: ${r.reason}`);
  return r;
};

describe('processEvent', () => {
  it.each([
    [
      'page view with utm and referrer',
      {
        d: 'shop.com',
        n: 'pageview',
        u: 'https://www.shop.com/a/b?utm_source=newsletter&utm_medium=email',
        r: 'https://mail.google.com/',
        w: 390,
      },
      IPHONE,
      {
        pathname: '/a/b',
        hostname: 'shop.com',
        referrer_source: 'newsletter',
        channel: 'Email',
        utm_medium: 'email',
        browser: 'Safari',
        os: 'iOS',
        device_type: 'Mobile',
        country_code: 'US',
      },
    ],
    [
      'search referrer, desktop width',
      { d: 'shop.com', n: 'pageview', u: 'https://shop.com/', r: 'https://www.google.de/search?q=x', w: 1920 },
      CHROME,
      {
        pathname: '/',
        referrer: 'google.de/search',
        referrer_source: 'Google',
        channel: 'Organic Search',
        browser: 'Chrome',
        browser_version: '120.0',
        os: 'Windows',
        device_type: 'Desktop',
      },
    ],
    [
      'own host as referrer is direct; hash mode keeps the fragment',
      { d: 'app.io', n: 'pageview', u: 'https://app.io/#/settings', r: 'https://app.io/', h: 1, w: 1000 },
      CHROME,
      { pathname: '/#/settings', referrer: null, referrer_source: null, channel: 'Direct', device_type: 'Laptop' },
    ],
    [
      'custom event with props and revenue',
      {
        d: 'shop.com',
        n: 'Purchase',
        u: 'https://shop.com/checkout',
        p: { plan: 'pro', seats: 3 },
        revenue: { amount: 49.5, currency: 'eur' },
      },
      CHROME,
      {
        event_name: 'Purchase',
        props: '{"plan":"pro","seats":"3"}',
        revenue_amount: '49.5',
        revenue_currency: 'EUR',
        device_type: 'Desktop',
      },
    ],
  ])('%s', (_label, body, ua, expected) => {
    const [row] = rows(run(body, ua));
    expect(row).toMatchObject(expected);
  });

  it('fans out to every site in d, with a different visitor id per site', () => {
    const out = rows(run({ d: 'a.com,b.com', n: 'pageview', u: 'https://a.com/' }));
    expect(out.map((r) => r.site_id)).toEqual(['a.com', 'b.com']);
    expect(out[0]?.visitor_id).not.toBe(out[1]?.visitor_id);
  });

  it('gives the same visitor the same id and visit within the day', () => {
    const [a] = rows(run({ d: 'a.com', n: 'pageview', u: 'https://a.com/1' }, CHROME, '1.2.3.4'));
    const [b] = rows(run({ d: 'a.com', n: 'pageview', u: 'https://a.com/2' }, CHROME, '1.2.3.4'));
    const [c] = rows(run({ d: 'a.com', n: 'pageview', u: 'https://a.com/2' }, CHROME, '1.2.3.5'));
    expect(a?.visitor_id).toBe(b?.visitor_id);
    expect(a?.session_id).toBe(b?.session_id);
    expect(c?.visitor_id).not.toBe(a?.visitor_id);
  });

  it.each([
    ['a crawler', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot'],
    [
      'headless Chrome',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
      'bot',
    ],
    ['an empty user agent', '', 'bot'],
  ])('drops %s with reason %s', (_label, ua, reason) => {
    const r = run({ d: 'a.com', n: 'pageview', u: 'https://a.com/' }, ua);
    expect(r).toBeInstanceOf(Drop);
    expect((r as Drop).reason).toBe(reason);
  });

  it('stores an engagement event with its e and sd, in the visit it falls in, which it neither starts nor extends', () => {
    const at = (body: Record<string, unknown>, now: string, ip: string) =>
      rows(
        processEvent(
          validateEvent({ d: 'a.com', u: 'https://a.com/x', ...body }, { batch: false }),
          { ip, userAgent: CHROME },
          deps,
          Date.parse(now),
        ),
      )[0] as StoredRow;
    const view = at({ n: 'pageview' }, '2026-03-02T10:00:00Z', '5.6.7.8');
    const inside = at({ n: 'engagement', e: 9000, sd: 70 }, '2026-03-02T10:20:00Z', '5.6.7.8');
    expect(inside).toMatchObject({ event_name: 'engagement', engaged_ms: 9000, scroll_depth: 70, session_id: view.session_id });
    // 35 minutes after the page view: within the timeout of 10:20, had that extended the visit; it did not.
    const later = at({ n: 'pageview' }, '2026-03-02T10:35:00Z', '5.6.7.8');
    expect(later.session_id).not.toBe(view.session_id);
    // Alone, an engagement row gets the id a visit starting there would have, and none starts.
    const alone = at({ n: 'engagement', e: 1000 }, '2026-03-02T11:30:00Z', '9.9.9.9');
    const next = at({ n: 'pageview' }, '2026-03-02T11:40:00Z', '9.9.9.9');
    expect(next.session_id).not.toBe(alone.session_id);
    expect(at({ n: 'pageview', e: 5, sd: 5 }, '2026-03-02T12:00:00Z', '5.6.7.8')).toMatchObject({
      engaged_ms: null,
      scroll_depth: null,
    });
    const empty = run({ d: 'a.com', n: 'engagement', u: 'https://a.com/' });
    expect((empty as Drop).reason).toBe('engagement');
  });

  it('drops sites outside the allowlist', () => {
    const r = run({ d: 'evil.com', n: 'pageview', u: 'https://evil.com/' }, CHROME, '8.8.8.8', {
      ...deps,
      siteAllowlist: new Set(['a.com']),
    });
    expect((r as Drop).reason).toBe('unknown_site');
  });
});

describe('apply_shields', () => {
  /** a.com shields 8.8.8.8, b.com the US (8.8.8.8 is US in the bundled database), c.com nothing. */
  const RULES: Record<string, ShieldRules | null> = {
    'a.com': shieldRules(shieldsField.parse({ ips: ['8.8.8.0/24'] })),
    'b.com': shieldRules(shieldsField.parse({ countries: ['us'] })),
    'c.com': null,
    'd.com': shieldRules(shieldsField.parse({ pages: ['/admin/*'], hostnames: ['d.com'] })),
  };

  const shielded = () => {
    const metrics = new Metrics(() => 0);
    return { metrics, d: { ...deps, metrics, shields: (id: string) => RULES[id] ?? null } };
  };

  const dropCounts = async (metrics: Metrics) =>
    Object.fromEntries(
      (await metrics.dropped.get()).values.filter((v) => v.value > 0).map((v) => [String(v.labels.reason), v.value]),
    );

  it('drops only the shielded sites of a multi-site event, counting each dropped row', async () => {
    const { metrics, d } = shielded();
    const out = rows(run({ d: 'a.com,c.com,b.com', n: 'pageview', u: 'https://a.com/' }, CHROME, '8.8.8.8', d));
    expect(out.map((r) => r.site_id)).toEqual(['c.com']);
    expect(out[0]).toMatchObject({ pathname: '/', country_code: 'US', browser: 'Chrome' });
    expect(await dropCounts(metrics)).toEqual({ shield_ip: 1, shield_country: 1 });
  });

  it('drops the event when every site shields it, one count per row', async () => {
    const { metrics, d } = shielded();
    const r = run({ d: 'a.com,b.com', n: 'pageview', u: 'https://a.com/' }, CHROME, '8.8.8.8', d);
    expect(r).toBeInstanceOf(Drop);
    expect((r as Drop).reason).toBe('shield_ip');
    expect(await dropCounts(metrics)).toEqual({ shield_ip: 1, shield_country: 1 });
  });

  it('keeps what no shield matches', async () => {
    const { metrics, d } = shielded();
    // 1.1.1.1 is AU in the bundled database.
    const out = rows(run({ d: 'a.com,b.com,d.com', n: 'pageview', u: 'https://d.com/home' }, CHROME, '1.1.1.1', d));
    expect(out.map((r) => [r.site_id, r.country_code])).toEqual([
      ['a.com', 'AU'],
      ['b.com', 'AU'],
      ['d.com', 'AU'],
    ]);
    expect(await dropCounts(metrics)).toEqual({});
  });

  it('shields pages and foreign hostnames', async () => {
    const { metrics, d } = shielded();
    const page = run({ d: 'd.com', n: 'pageview', u: 'https://d.com/admin/x' }, CHROME, '1.1.1.1', d);
    const host = run({ d: 'd.com', n: 'pageview', u: 'https://copy.net/' }, CHROME, '1.1.1.1', d);
    expect([(page as Drop).reason, (host as Drop).reason]).toEqual(['shield_page', 'shield_hostname']);
    expect(await dropCounts(metrics)).toEqual({ shield_page: 1, shield_hostname: 1 });
  });

  it('a bot is dropped as a bot before any shield', async () => {
    const { metrics, d } = shielded();
    const r = run({ d: 'a.com,b.com', n: 'pageview', u: 'https://a.com/' }, '', '8.8.8.8', d);
    expect((r as Drop).reason).toBe('bot');
    expect(await dropCounts(metrics)).toEqual({ bot: 1 });
  });
});

describe('validateEvent', () => {
  it.each([
    [{ n: 'pageview', u: 'https://a.com/' }, 'd: required'],
    [{ d: 'a.com', u: 'https://a.com/' }, 'n: required'],
    [{ d: 'a.com', n: 'pageview' }, 'u: required'],
    [{ d: 'a.com', n: 'pageview', u: 'ftp://a.com/' }, 'u: not an http(s) URL'],
    [{ d: '../etc', n: 'pageview', u: 'https://a.com/' }, 'd: not a valid site id'],
    [{ d: 'a.com', n: 'x'.repeat(121), u: 'https://a.com/' }, 'n: longer than 120 characters'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', w: 'wide' }, 'w:'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', p: { a: { nested: 1 } } }, 'p'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', p: '{not json' }, 'p: not a JSON object'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', ra: '1.5' }, 'revenue: amount and currency go together'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', ra: '1.23456', rc: 'EUR' }, 'ra: must be a number'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', rc: 'EURO', ra: 1 }, 'rc: must be a 3-letter'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', timestamp: 1 }, 'timestamp: only accepted by /api/events'],
    [{ d: 'a.com', n: 'pageview', u: 'https://a.com/', ip: '1.2.3.4' }, 'ip/user_agent/user_id: only accepted by /api/events'],
  ])('rejects %o with "%s"', (body, message) => {
    expect(() => validateEvent(body, { batch: false })).toThrow(ValidationError);
    expect(() => validateEvent(body, { batch: false })).toThrow(message);
  });

  it('accepts Plausible long names, props as a JSON string and timestamps in batches', () => {
    const e = validateEvent(
      {
        domain: 'A.com',
        name: 'Signup',
        url: 'https://a.com/x',
        props: '{"k":"v"}',
        timestamp: '2026-01-02T03:04:05',
        user_id: 'u1',
      },
      { batch: true, now: Date.parse('2026-03-01T00:00:00Z') },
    );
    expect(e).toMatchObject({ siteIds: ['a.com'], name: 'Signup', props: { k: 'v' }, userId: 'u1' });
    expect(e.timestamp?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(() =>
      validateEvent(
        { d: 'a.com', n: 'x', u: 'https://a.com/', timestamp: Date.parse('2026-03-01T00:06:00Z') },
        { batch: true, now: Date.parse('2026-03-01T00:00:00Z') },
      ),
    ).toThrow('timestamp: more than 5 minutes in the future');
  });
});
