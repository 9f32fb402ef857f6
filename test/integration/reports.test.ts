/**
 * E-mail reports and traffic alerts (docs/API.md, "Reports and alerts") through a real SMTP
 * server on loopback (the smtp-server package; every message parsed with mailparser), with
 * the scheduler running every second (MALLARD_NOTIFY_INTERVAL=1).
 *
 * Traffic of reports.test (UTC), placed relative to today: W = the last whole ISO week
 * (Monday..Sunday before this week), P = the week before it.
 *   W Tuesday 10:00  A views / from Google, 10:01 /pricing (a 60 s visit)
 *   W Tuesday 11:00  B views / (direct; one event: a bounce)
 *   P Tuesday 09:00  C views / (direct; a bounce)
 * The weekly report of W, by hand: visitors 2 (P: 1, +100%), visits 2 (+100%), page views 3
 * (P: 1, +200%), bounce rate 50% (P: 100%, −50 pts), visit duration 30s (P: 0s: "new");
 * top pages / 2 visitors, /pricing 1; top sources Direct / None 1, Google 1.
 */
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mailbox, REFUSED, startMailbox } from '../helpers/mailbox.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, removeScratchDirs, scratchDir, UA } from './support.js';

const SITE = 'reports.test';
const DAY = 86_400_000;

const today = new Date(Math.floor(Date.now() / DAY) * DAY);
const thisMonday = new Date(today.getTime() - ((today.getUTCDay() + 6) % 7) * DAY);
const weekStart = new Date(thisMonday.getTime() - 7 * DAY);
const day = (d: Date) => d.toISOString().slice(0, 10);
const at = (monday: Date, hhmm: string) => `${day(new Date(monday.getTime() + DAY))}T${hhmm}:00Z`;
const W = { start: day(weekStart), end: day(new Date(thisMonday.getTime() - DAY)) };

let mailbox: Mailbox;
let server: RunningServer;
let admin = '';
const dataDir = scratchDir('reports');

const env = () => ({
  MALLARD_SMTP_URL: mailbox.url,
  MALLARD_SMTP_FROM: 'Mallard <m@example.com>',
  MALLARD_NOTIFY_INTERVAL: '1',
});

async function call(method: string, path: string, body?: unknown, key = admin) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** The scheduler's rounds so far (the server's /metrics). */
async function rounds(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^mallard_notify_rounds_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Waits for two more whole rounds: whatever was due has been sent by then. */
async function twoRounds(): Promise<void> {
  const start = await rounds();
  await expect.poll(rounds, { timeout: 15_000 }).toBeGreaterThanOrEqual(start + 2);
}

const sentTo = (address: string) => mailbox.sentTo(address);

beforeAll(async () => {
  mailbox = await startMailbox();
  server = await startServer({ dataDir, env: env() });
  admin = await createKey(server.url, await login(server.url), 'admin');
  expect((await call('POST', '/api/sites', { id: SITE })).status).toBe(201);
  const ev = (ip: string, time: string, path: string, referrer?: string) => ({
    d: SITE,
    n: 'pageview',
    u: `https://${SITE}${path}`,
    r: referrer,
    ip,
    user_agent: UA.firefoxLinux,
    timestamp: time,
  });
  await loadBatch(server.url, admin, [
    ev('203.0.113.1', at(weekStart, '10:00'), '/', 'https://www.google.com/'),
    ev('203.0.113.1', at(weekStart, '10:01'), '/pricing'),
    ev('203.0.113.2', at(weekStart, '11:00'), '/'),
    ev('203.0.113.3', at(new Date(weekStart.getTime() - 7 * DAY), '09:00'), '/'),
  ]);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await mailbox?.close();
  removeScratchDirs();
});

describe('reports and alerts settings', () => {
  it.each<[string, unknown, string]>([
    ['a bad address', { reports: { weekly: ['nope'] } }, 'reports.weekly[0]: not an e-mail address'],
    ['an unknown key', { reports: { daily: [] } }, 'reports.daily: unknown field'],
    ['a threshold without recipients', { alerts: { spike_visitors: 5 } }, 'alerts.emails: needed when a threshold is set'],
    [
      'a threshold below 1',
      { alerts: { drop_visitors: 0, emails: ['a@example.com'] } },
      'alerts.drop_visitors: must be at least 1',
    ],
  ])('refuses %s', async (_label, body, error) => {
    expect(await call('PATCH', `/api/sites/${SITE}`, body)).toEqual({ status: 400, body: { error } });
  });
});

describe('the weekly report', () => {
  it('is sent once for the last whole week, with its numbers beside the week before', async () => {
    const set = await call('PATCH', `/api/sites/${SITE}`, { reports: { weekly: ['Owner@Example.com'] } });
    expect(set.status).toBe(200);
    expect(set.body?.reports).toEqual({ weekly: ['owner@example.com'], monthly: [] });
    await expect.poll(() => sentTo('owner@example.com').length, { timeout: 15_000 }).toBe(1);
    const mail = sentTo('owner@example.com')[0] as ParsedMail;
    expect(mail.subject).toBe(`Weekly report for ${SITE}: ${W.start} – ${W.end}`);
    expect(mail.from?.value[0]?.address).toBe('m@example.com');
    const lines = (mail.text ?? '').split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    expect(lines).toEqual(
      expect.arrayContaining([
        'Unique visitors 2 (+100%)',
        'Visits 2 (+100%)',
        'Page views 3 (+200%)',
        'Bounce rate 50% (-50 pts)',
        'Visit duration 30s (new)',
        '/ 2 visitors',
        '/pricing 1 visitors',
        'Direct / None 1 visitors',
        'Google 1 visitors',
      ]),
    );
    expect(mail.html).toContain('<b>2</b>');
  });

  it('is not sent again: not at the next rounds, not after a restart', async () => {
    await twoRounds();
    expect(sentTo('owner@example.com')).toHaveLength(1);
    await server.stop();
    server = await startServer({ dataDir, env: env() });
    await twoRounds();
    expect(sentTo('owner@example.com')).toHaveLength(1);
  });

  it('one the SMTP server refuses is tried again until it goes', async () => {
    expect(
      (await call('PATCH', `/api/sites/${SITE}`, { reports: { weekly: ['owner@example.com'], monthly: [REFUSED] } })).status,
    ).toBe(200);
    await twoRounds();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/^mallard_notification_failures_total\{kind="monthly"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(
      (await call('PATCH', `/api/sites/${SITE}`, { reports: { weekly: ['owner@example.com'], monthly: ['boss@example.com'] } }))
        .status,
    ).toBe(200);
    await expect.poll(() => sentTo('boss@example.com').length, { timeout: 15_000 }).toBe(1);
    expect(sentTo('boss@example.com')[0]?.subject).toMatch(
      new RegExp(`^Monthly report for ${SITE.replace('.', '\\.')}: \\d{4}-\\d{2}-01 – `),
    );
  });

  it('is sent now on request to the addresses given', async () => {
    expect(await call('POST', `/api/sites/${SITE}/reports/test`, { to: ['me@example.com'] })).toEqual({
      status: 202,
      body: { sent: true },
    });
    expect(sentTo('me@example.com').map((m) => m.subject)).toEqual([`Weekly report for ${SITE}: ${W.start} – ${W.end}`]);
    expect(await call('POST', `/api/sites/${SITE}/reports/test`, { to: [] })).toEqual({
      status: 400,
      body: { error: 'to: at least one address' },
    });
    expect((await call('POST', '/api/sites/nowhere.test/reports/test', { to: ['me@example.com'] })).status).toBe(404);
  });
});

describe('traffic alerts', () => {
  it('a spike and a drop are each sent once in their 12-hour window', async () => {
    // One visitor now: at a spike threshold of 1, and under a drop threshold of 100.
    await loadBatch(server.url, admin, [
      { d: SITE, n: 'pageview', u: `https://${SITE}/`, ip: '203.0.113.9', user_agent: UA.chromeWindows },
    ]);
    const set = await call('PATCH', `/api/sites/${SITE}`, {
      alerts: { spike_visitors: 1, drop_visitors: 100, emails: ['ops@example.com'] },
    });
    expect(set.body?.alerts).toEqual({ spike_visitors: 1, drop_visitors: 100, emails: ['ops@example.com'] });
    await expect.poll(() => sentTo('ops@example.com').length, { timeout: 15_000 }).toBe(2);
    await twoRounds();
    expect(
      sentTo('ops@example.com')
        .map((m) => m.subject)
        .sort(),
    ).toEqual([`Traffic drop on ${SITE}: 1 visitor in 12 hours`, `Traffic spike on ${SITE}: 1 visitor now`]);
  });
});

describe('without an SMTP server', () => {
  it('keeps the settings and answers a test report with 409', async () => {
    const bare = await startServer();
    try {
      const key = await createKey(bare.url, await login(bare.url), 'admin');
      const post = (path: string, body: unknown, method = 'POST') =>
        fetch(`${bare.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post('/api/sites', { id: SITE, reports: { weekly: ['a@example.com'] } })).status).toBe(201);
      const res = await post(`/api/sites/${SITE}/reports/test`, { to: ['a@example.com'] });
      expect([res.status, await res.json()]).toEqual([409, { error: 'no SMTP server is configured (MALLARD_SMTP_URL)' }]);
    } finally {
      await bare.stop();
    }
  });
});
