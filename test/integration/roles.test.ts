/**
 * Users, roles per site and invitations through real HTTP against the built server
 * (docs/API.md, "Users and roles"). The table below is the contract: who (super-admin, the
 * owner, admin and viewer of site A, a user with no role, the viewer's admin-scoped key —
 * made while the viewer was still an admin —, a share link of A) may do what on site A and
 * on site B (which only the super-admin holds), with exact status codes. Invitations: a new
 * address gets an account, an existing user gives their own password, a link is single-use
 * and expires (a second server whose links expire at once: invitation_ttl_secs = 0, and
 * which e-mails its links to a real SMTP server on loopback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED, startMailbox } from '../helpers/mailbox.js';
import { login, type RunningServer, startServer } from '../helpers/server.js';
import { type Answer, type Auth, apiRequest, removeScratchDirs, scratchDir } from './support.js';

const A = 'a.test';
const B = 'b.test';
const PASSWORD = 'member-password-1';

let server: RunningServer;
let url: string;

/** One request, to this file's server unless `base` names another. */
const api = <T = unknown>(method: string, path: string, auth: Auth = {}, body?: unknown, base = url) =>
  apiRequest<T>(base, method, path, auth, body);

async function signIn(email: string, password = PASSWORD, base = url): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status, `login ${email}`).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

const cookieOf = (res: Response | Answer) =>
  (('headers' in res ? res.headers.get('set-cookie') : null) ?? '').split(';')[0] ?? '';

let superCookie: string;
const ids: Record<string, string> = {};
const auth: Record<string, Auth> = {};

async function createUser(email: string): Promise<string> {
  const res = await api<{ id: string }>('POST', '/api/users', { cookie: superCookie }, { email, password: PASSWORD });
  expect(res.status, res.text).toBe(201);
  return res.json?.id ?? '';
}

async function setRole(site: string, who: string, role: string): Promise<void> {
  const res = await api('PUT', `/api/sites/${site}/members/${ids[who]}`, { cookie: superCookie }, { role });
  expect(res.status, res.text).toBe(200);
}

/** Sites A and B as the table expects them (again after a row removed one). */
async function ensureSites(): Promise<void> {
  for (const site of [A, B]) {
    if ((await api('GET', `/api/sites/${site}`, { cookie: superCookie })).status === 404) {
      expect((await api('POST', '/api/sites', { cookie: superCookie }, { id: site })).status).toBe(201);
    }
  }
  await setRole(A, 'owner', 'owner');
  await setRole(A, 'admin', 'admin');
  await setRole(A, 'viewer', 'viewer');
  const share = await api<{ token: string }>('POST', `/api/sites/${A}/shares`, { cookie: superCookie }, {});
  auth.share = { share: share.json?.token ?? '' };
}

beforeAll(async () => {
  server = await startServer({ dataDir: scratchDir('roles-data') });
  url = server.url;
  superCookie = await login(url); // {password} alone: the super-admin, as before users existed
  auth.super = { cookie: superCookie };
  for (const who of ['owner', 'admin', 'viewer', 'norole', 'target']) ids[who] = await createUser(`${who}@roles.test`);
  await ensureSites();
  for (const who of ['owner', 'admin', 'viewer', 'norole']) auth[who] = { cookie: await signIn(`${who}@roles.test`) };
  // The viewer made an admin key for A while an admin of A, then was made a viewer.
  await setRole(A, 'viewer', 'admin');
  const key = await api<{ key: string }>('POST', '/api/keys', auth.viewer, { name: 'ci', scope: 'admin', sites: [A] });
  expect(key.status, key.text).toBe(201);
  auth.viewerKey = { key: key.json?.key ?? '' };
  await setRole(A, 'viewer', 'viewer');
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

let n = 0;
type Route = [name: string, request: (site: string) => [method: string, path: string, body?: unknown]];
const ROUTES: Route[] = [
  ['GET stats main', (s) => ['GET', `/api/stats/main?site_id=${s}&period=day&date=2026-02-03`]],
  ['POST v2 query', (s) => ['POST', '/api/v2/query', { site_id: s, metrics: ['visitors'], date_range: 'all' }]],
  ['GET export', (s) => ['GET', `/api/stats/export?site_id=${s}&period=day&date=2026-02-03&format=csv`]],
  ['PATCH site', (s) => ['PATCH', `/api/sites/${s}`, { rate_limit: 100 }]],
  ['POST goal', (s) => ['POST', `/api/sites/${s}/goals`, { event_name: `Signup${++n}` }]],
  [
    'POST segment',
    (s) => ['POST', `/api/sites/${s}/segments`, { name: `Seg ${++n}`, filters: [['is', 'visit:country', ['DE']]] }],
  ],
  ['POST key for the site', (s) => ['POST', '/api/keys', { name: `k${++n}`, scope: 'read', sites: [s] }]],
  ['PUT member', (s) => ['PUT', `/api/sites/${s}/members/${ids.target}`, { role: 'viewer' }]],
  ['POST invitation', (s) => ['POST', `/api/sites/${s}/invitations`, { email: 'guest@roles.test', role: 'viewer' }]],
  ['GET users', () => ['GET', '/api/users']],
  ['DELETE site', (s) => ['DELETE', `/api/sites/${s}`]], // last: a removal is undone before the next caller
];

const CALLERS = ['super', 'owner', 'admin', 'viewer', 'norole', 'viewerKey', 'share'] as const;
//                         super owner admin viewer norole viewerKey share
const READ_A = /*       */ [200, 200, 200, 200, 403, 200, 200];
const ADMIN_A = (ok: number) => [ok, ok, ok, 403, 403, 403, 403];
const OWNER_A = (ok: number) => [ok, ok, 403, 403, 403, 403, 403];
const SUPER_ONLY = [200, 403, 403, 403, 403, 403, 403];
const ONLY_SUPER_ON_B = (ok: number) => [ok, 403, 403, 403, 403, 403, 403];

const EXPECTED: Record<string, { [A]: number[]; [B]: number[] }> = {
  'GET stats main': { [A]: READ_A, [B]: ONLY_SUPER_ON_B(200) },
  'POST v2 query': { [A]: READ_A, [B]: ONLY_SUPER_ON_B(200) },
  'GET export': { [A]: READ_A, [B]: ONLY_SUPER_ON_B(200) },
  'PATCH site': { [A]: ADMIN_A(200), [B]: ONLY_SUPER_ON_B(200) },
  'POST goal': { [A]: ADMIN_A(201), [B]: ONLY_SUPER_ON_B(201) },
  'POST segment': { [A]: ADMIN_A(201), [B]: ONLY_SUPER_ON_B(201) },
  'POST key for the site': { [A]: ADMIN_A(201), [B]: ONLY_SUPER_ON_B(201) },
  'PUT member': { [A]: OWNER_A(200), [B]: ONLY_SUPER_ON_B(200) },
  'POST invitation': { [A]: OWNER_A(201), [B]: ONLY_SUPER_ON_B(201) },
  'GET users': { [A]: SUPER_ONLY, [B]: SUPER_ONLY },
  'DELETE site': { [A]: OWNER_A(204), [B]: ONLY_SUPER_ON_B(204) },
};

describe('who may do what (role × route × site)', () => {
  for (const site of [A, B] as const) {
    it(`on ${site === A ? 'A, where owner, admin and viewer hold their roles' : 'B, which only the super-admin holds'}`, async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const [i, caller] of CALLERS.entries()) {
        for (const [name, request] of ROUTES) {
          const [method, path, body] = request(site);
          const res = await api(method, path, auth[caller], body);
          got.push(`${caller} ${name}: ${res.status}`);
          want.push(`${caller} ${name}: ${EXPECTED[name]?.[site][i]}`);
          if (res.status === 204) await ensureSites();
        }
      }
      expect(got).toEqual(want);
    });
  }

  it('names the role that stops a request, and the key of a viewer only reads', async () => {
    expect(await api('PATCH', `/api/sites/${A}`, auth.viewer, { rate_limit: 5 })).toMatchObject({
      status: 403,
      json: { error: `your role on ${A} (viewer) does not allow this` },
    });
    expect(await api('PATCH', `/api/sites/${A}`, auth.viewerKey, { rate_limit: 5 })).toMatchObject({
      status: 403,
      json: { error: `your role on ${A} (viewer) does not allow this` },
    });
    expect(await api('GET', `/api/stats/main?site_id=${B}`, auth.norole)).toMatchObject({
      status: 403,
      json: { error: `you have no role on ${B}` },
    });
    expect(await api('GET', '/api/users', auth.owner)).toMatchObject({
      status: 403,
      json: { error: 'only the super-admin may do this' },
    });
  });

  it('lists only the sites a user has a role on, with their roles', async () => {
    const list = async (who: string) => (await api<{ id: string }[]>('GET', '/api/sites', auth[who])).json?.map((s) => s.id);
    expect(await list('super')).toEqual([A, B]);
    expect(await list('viewer')).toEqual([A]);
    expect(await list('norole')).toEqual([]);
    expect((await api('GET', '/api/auth/me', auth.viewer)).json).toEqual({
      id: ids.viewer,
      email: 'viewer@roles.test',
      super_admin: false,
      totp_enabled: false,
      sites: [{ site_id: A, role: 'viewer' }],
    });
    expect((await api('GET', '/api/auth/me', auth.super)).json).toEqual({
      id: 'super-admin',
      email: null,
      super_admin: true,
      totp_enabled: false,
      sites: [
        { site_id: A, role: 'owner' },
        { site_id: B, role: 'owner' },
      ],
    });
  });

  it('lets a viewer of A do nothing with B', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/stats/main?site_id=${B}`],
      ['GET', `/api/stats/timeseries?site_id=${B}`],
      ['GET', `/api/stats/breakdown/pages?site_id=${B}`],
      ['GET', `/api/stats/realtime?site_id=${B}`],
      ['GET', `/api/stats/sessions?site_id=${B}`],
      ['GET', `/api/stats/funnel?site_id=${B}&steps=page:/a,page:/b`],
      ['GET', `/api/stats/retention?site_id=${B}`],
      ['GET', `/api/stats/flow?site_id=${B}&page=/`],
      ['GET', `/api/stats/export?site_id=${B}&format=json`],
      ['POST', '/api/v2/query', { site_id: B, metrics: ['visitors'], date_range: 'all' }],
      ['GET', `/api/sites/${B}`],
      ['PATCH', `/api/sites/${B}`, { rate_limit: 1 }],
      ['DELETE', `/api/sites/${B}`],
      ['GET', `/api/sites/${B}/goals`],
      ['POST', `/api/sites/${B}/goals`, { event_name: 'X' }],
      ['GET', `/api/sites/${B}/segments`],
      ['POST', `/api/sites/${B}/segments`, { name: 'x', filters: [['is', 'visit:country', ['DE']]] }],
      ['GET', `/api/sites/${B}/shares`],
      ['POST', `/api/sites/${B}/shares`, {}],
      ['GET', `/api/sites/${B}/members`],
      ['PUT', `/api/sites/${B}/members/${ids.viewer}`, { role: 'owner' }],
      ['DELETE', `/api/sites/${B}/members/${ids.viewer}`],
      ['POST', `/api/sites/${B}/invitations`, { email: 'x@roles.test', role: 'owner' }],
      ['POST', `/api/sites/${B}/reports/test`, { to: ['x@roles.test'] }],
      ['POST', '/api/keys', { name: 'b', scope: 'read', sites: [B] }],
    ];
    const got = [];
    for (const [method, path, body] of routes) {
      const res = await api(method, path, auth.viewer, body);
      got.push(`${method} ${path} → ${res.status} ${res.text}`);
    }
    expect(got).toEqual(routes.map(([m, p]) => `${m} ${p} → 403 {"error":"you have no role on ${B}"}`));
    const batch = await api<{ accepted: number; errors: unknown[] }>('POST', '/api/events', auth.viewer, [
      { d: B, n: 'pageview', u: `https://${B}/`, timestamp: '2026-02-03T10:00:00Z' },
    ]);
    expect([batch.status, batch.json?.accepted]).toEqual([200, 0]);
  });
});

describe('users', () => {
  it('signs a user in with e-mail and password, refuses a wrong one, and keeps {password} for the super-admin', async () => {
    const wrong = await api('POST', '/api/auth/login', {}, { email: 'owner@roles.test', password: 'not-the-password' });
    expect([wrong.status, wrong.json]).toEqual([401, { error: 'wrong e-mail address or password' }]);
    const unknown = await api('POST', '/api/auth/login', {}, { email: 'nobody@roles.test', password: PASSWORD });
    expect([unknown.status, unknown.json]).toEqual([401, { error: 'wrong e-mail address or password' }]);
    expect(await signIn('OWNER@Roles.test')).toMatch(/^mallard_session=/);
    expect(await login(url)).toMatch(/^mallard_session=/);
  });

  it('creates users with unique addresses, whatever their case, and passwords of 8 or more', async () => {
    const taken = await api('POST', '/api/users', auth.super, { email: 'Owner@ROLES.test', password: PASSWORD });
    expect([taken.status, taken.json]).toEqual([409, { error: 'email: owner@roles.test already has an account' }]);
    const short = await api('POST', '/api/users', auth.super, { email: 'short@roles.test', password: '1234567' });
    expect([short.status, short.json]).toEqual([400, { error: 'password: at least 8 characters' }]);
    const bad = await api('POST', '/api/users', auth.super, { email: 'not-an-address', password: PASSWORD });
    expect([bad.status, bad.json]).toEqual([400, { error: 'email: not an e-mail address' }]);
    const list = await api<{ email: string | null; super_admin: boolean }[]>('GET', '/api/users', auth.super);
    expect(list.json?.map((u) => [u.email, u.super_admin])).toEqual([
      [null, true],
      ['admin@roles.test', false],
      ['norole@roles.test', false],
      ['owner@roles.test', false],
      ['target@roles.test', false],
      ['viewer@roles.test', false],
    ]);
  });

  it('removes a user with their sessions and keys; never the super-admin itself', async () => {
    const id = await createUser('leaver@roles.test');
    await api('PUT', `/api/sites/${A}/members/${id}`, auth.super, { role: 'admin' });
    const cookie = await signIn('leaver@roles.test');
    const key = await api<{ key: string }>('POST', '/api/keys', { cookie }, { name: 'l', scope: 'read', sites: [A] });
    const stats = `/api/stats/main?site_id=${A}`;
    expect((await api('GET', stats, { key: key.json?.key })).status).toBe(200);
    expect((await api('DELETE', `/api/users/${id}`, auth.super)).status).toBe(204);
    expect((await api('GET', stats, { cookie })).status).toBe(401);
    expect((await api('GET', stats, { key: key.json?.key })).json).toEqual({ error: 'invalid or revoked API key' });
    expect((await api('DELETE', `/api/users/${id}`, auth.super)).status).toBe(404);
    const self = await api('DELETE', '/api/users/super-admin', auth.super);
    expect([self.status, self.json]).toEqual([400, { error: 'userId: you cannot remove yourself' }]);
  });

  it("takes a key's access away with its user's role, and shows users only their own keys", async () => {
    const id = await createUser('keyholder@roles.test');
    await api('PUT', `/api/sites/${A}/members/${id}`, auth.super, { role: 'admin' });
    const cookie = await signIn('keyholder@roles.test');
    const made = await api<{ key: string; user_id: string }>(
      'POST',
      '/api/keys',
      { cookie },
      { name: 'h', scope: 'admin', sites: [A] },
    );
    expect(made.json?.user_id).toBe(id);
    const all = await api('POST', '/api/keys', { cookie }, { name: 'all', scope: 'read' });
    expect([all.status, all.json]).toEqual([403, { error: 'only the super-admin may do this' }]);
    const mine = await api<{ name: string }[]>('GET', '/api/keys', { cookie });
    expect(mine.json?.map((k) => k.name)).toEqual(['h']);
    const stats = `/api/stats/main?site_id=${A}`;
    expect((await api('GET', stats, { key: made.json?.key })).status).toBe(200);
    expect((await api('DELETE', `/api/sites/${A}/members/${id}`, auth.super)).status).toBe(204);
    expect(await api('GET', stats, { key: made.json?.key })).toMatchObject({
      status: 403,
      json: { error: `you have no role on ${A}` },
    });
  });

  it('never leaves a site without an owner: the last one cannot be demoted or removed (409)', async () => {
    const made = await api('POST', '/api/sites', auth.norole, { id: 'owned.test' });
    expect(made.status).toBe(201);
    const members = `/api/sites/owned.test/members`;
    const demote = await api('PUT', `${members}/${ids.norole}`, auth.super, { role: 'admin' });
    const refusal = 'the last owner of owned.test cannot be demoted: make another member owner first';
    expect([demote.status, demote.json]).toEqual([409, { error: refusal }]);
    const remove = await api('DELETE', `${members}/${ids.norole}`, auth.super);
    expect([remove.status, remove.json]).toEqual([
      409,
      { error: 'the last owner of owned.test cannot be removed: make another member owner first' },
    ]);
    // With a second owner, either may go.
    expect((await api('PUT', `${members}/${ids.target}`, auth.norole, { role: 'owner' })).status).toBe(200);
    const target = { cookie: await signIn('target@roles.test') };
    expect((await api('PUT', `${members}/${ids.norole}`, target, { role: 'viewer' })).status).toBe(200);
    const roles = await api<{ user_id: string; role: string }[]>('GET', members, auth.super);
    expect(roles.json?.map((m) => [m.user_id, m.role]).sort()).toEqual(
      [
        [ids.norole, 'viewer'],
        [ids.target, 'owner'],
      ].sort(),
    );
    expect((await api('DELETE', `${members}/${ids.target}`, auth.super)).status).toBe(409);
    expect((await api('DELETE', '/api/sites/owned.test', auth.super)).status).toBe(204);
  });

  it('makes the creator of a site its owner, and removes members and invitations with the site', async () => {
    const made = await api('POST', '/api/sites', auth.norole, { id: 'new.test' });
    expect(made.status, made.text).toBe(201);
    const members = await api<{ user_id: string; role: string }[]>('GET', '/api/sites/new.test/members', auth.norole);
    expect(members.json?.map((m) => [m.user_id, m.role])).toEqual([[ids.norole, 'owner']]);
    const invite = await api<{ url: string }>('POST', '/api/sites/new.test/invitations', auth.norole, {
      email: 'late@roles.test',
      role: 'viewer',
    });
    expect((await api('DELETE', '/api/sites/new.test', auth.norole)).status).toBe(204);
    const token = invite.json?.url.split('/').pop();
    const accept = await api('POST', `/api/invitations/${token}/accept`, {}, { password: PASSWORD });
    expect([accept.status, accept.json]).toEqual([
      404,
      { error: 'no such invitation: the link is wrong, or the site it was for was removed' },
    ]);
    expect((await api('POST', '/api/sites', auth.norole, { id: 'new.test' })).status).toBe(201);
    const again = await api<unknown[]>('GET', '/api/sites/new.test/members', auth.super);
    expect(again.json).toHaveLength(1); // the new creator only: nothing of the old site's members survives
  });
});

describe('invitations', () => {
  const invite = async (email: string, role: string) => {
    const res = await api<{ url: string; expires_at: string }>('POST', `/api/sites/${A}/invitations`, auth.owner, {
      email,
      role,
    });
    expect(res.status, res.text).toBe(201);
    return res.json as { url: string; expires_at: string };
  };

  it('creates the account and the role, signs in, and refuses the link a second time', async () => {
    const before = Date.now();
    const made = await invite('New.Person@roles.test', 'viewer');
    expect(made.url).toMatch(/^\/invitations\/[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(made.expires_at);
    expect(expires - before).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    const token = made.url.split('/').pop();
    expect((await api('GET', `/api/invitations/${token}`)).json).toEqual({
      site_id: A,
      email: 'new.person@roles.test',
      role: 'viewer',
      expires_at: made.expires_at,
      existing_user: false,
    });
    const short = await api('POST', `/api/invitations/${token}/accept`, {}, { password: 'short' });
    expect([short.status, short.json]).toEqual([400, { error: 'password: at least 8 characters' }]);
    const res = await fetch(`${url}/api/invitations/${token}/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect([res.status, await res.json()]).toEqual([200, { authenticated: true, site_id: A, role: 'viewer' }]);
    const me = await api<{ email: string; sites: unknown[] }>('GET', '/api/auth/me', { cookie: cookieOf(res) });
    expect([me.json?.email, me.json?.sites]).toEqual(['new.person@roles.test', [{ site_id: A, role: 'viewer' }]]);
    expect(await signIn('new.person@roles.test')).toMatch(/^mallard_session=/);

    const again = await api('POST', `/api/invitations/${token}/accept`, {}, { password: PASSWORD });
    expect([again.status, again.json]).toEqual([410, { error: 'this invitation was already used; ask for a new one' }]);
    const unknown = await api('POST', `/api/invitations/${'x'.repeat(43)}/accept`, {}, { password: PASSWORD });
    expect(unknown.status).toBe(404);
  });

  it('asks an existing user for their own password, and does not demote a member', async () => {
    const { url: link } = await invite('admin@roles.test', 'viewer');
    const token = link.split('/').pop();
    expect((await api<{ existing_user: boolean }>('GET', `/api/invitations/${token}`)).json?.existing_user).toBe(true);
    const wrong = await api('POST', `/api/invitations/${token}/accept`, {}, { password: 'someone-elses-pw' });
    expect([wrong.status, wrong.json]).toEqual([401, { error: 'password: wrong password for admin@roles.test' }]);
    const ok = await api('POST', `/api/invitations/${token}/accept`, {}, { password: PASSWORD });
    expect([ok.status, ok.json]).toEqual([200, { authenticated: true, site_id: A, role: 'admin' }]);
  });

  it('e-mails the link when SMTP is configured, and refuses an expired link', async () => {
    const mailbox = await startMailbox();
    const expiring = await startServer({
      dataDir: scratchDir('roles-expiry'),
      env: { MALLARD_INVITATION_TTL_SECS: '0', MALLARD_SMTP_URL: mailbox.url },
    });
    try {
      const cookie = await login(expiring.url);
      const as = { cookie };
      expect((await api('POST', '/api/sites', as, { id: A }, expiring.url)).status).toBe(201);
      const invite = (email: string) =>
        api<{ url: string; expires_at: string; emailed: boolean }>(
          'POST',
          `/api/sites/${A}/invitations`,
          as,
          { email, role: 'viewer' },
          expiring.url,
        );
      const made = await invite('late@roles.test');
      expect(made.json?.emailed).toBe(true);
      const [mail, ...more] = mailbox.sentTo('late@roles.test');
      expect(more).toEqual([]);
      expect(mail?.subject).toBe(`You are invited to ${A} on Mallard Metrics`);
      expect(mail?.text).toContain(`${expiring.url}${made.json?.url}`);
      // A refused message does not stop the invitation: the owner still gets the link.
      const refused = await invite(REFUSED);
      expect([refused.status, refused.json?.emailed]).toEqual([201, false]);
      expect(refused.json?.url).toMatch(/^\/invitations\/[A-Za-z0-9_-]{43}$/);

      const token = made.json?.url.split('/').pop();
      const res = await api('POST', `/api/invitations/${token}/accept`, {}, { password: PASSWORD }, expiring.url);
      expect([res.status, res.json]).toEqual([
        410,
        { error: `this invitation expired at ${made.json?.expires_at}; ask for a new one` },
      ]);
      const users = await api<unknown[]>('GET', '/api/users', as, undefined, expiring.url);
      expect(users.json).toHaveLength(1); // no account was made
    } finally {
      await expiring.stop();
      await mailbox.close();
    }
  });
});
