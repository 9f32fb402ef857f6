/**
 * The `keys`, `users` and `export` commands against a running server (they ask it over HTTP with
 * MALLARD_ADMIN_PASSWORD), and the command list of `--help`.
 *
 * Events of cli.test on 2026-03-10 (UTC): A views / at 10:00 and /pricing at 10:01; B views
 * / at 11:00. By hand: visitors 2, visits 2, page views 3, views per visit 1.5, bounce rate
 * 0.5 (B's one event), visit duration 30 s (A 60, B 0), events 3.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createKey, freePort, login, type RunningServer, startServer } from '../helpers/server.js';
import { cli, loadBatch, removeScratchDirs, scratchDir, UA } from './support.js';

const SITE = 'cli.test';
let server: RunningServer;
let env: Record<string, string>;
let admin = '';
const out = scratchDir('cli-out');

beforeAll(async () => {
  server = await startServer();
  admin = await createKey(server.url, await login(server.url), 'admin');
  const url = new URL(server.url);
  env = {
    MALLARD_HOST: url.hostname,
    MALLARD_PORT: url.port,
    MALLARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MALLARD_DATA_DIR: scratchDir('cli-unused'),
  };
  const ev = (ip: string, time: string, path: string) => ({
    d: SITE,
    n: 'pageview',
    u: `https://${SITE}${path}`,
    ip,
    user_agent: UA.firefoxLinux,
    timestamp: `2026-03-10T${time}:00Z`,
  });
  await loadBatch(server.url, admin, [
    ev('203.0.113.1', '10:00', '/'),
    ev('203.0.113.1', '10:01', '/pricing'),
    ev('203.0.113.2', '11:00', '/'),
  ]);
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

const statusWith = async (key: string) =>
  (
    await fetch(`${server.url}/api/stats/main?site_id=${SITE}&period=day&date=2026-03-10`, {
      headers: { authorization: `Bearer ${key}` },
    })
  ).status;

describe('keys', () => {
  it('creates a key (printed once), lists it and revokes it', async () => {
    const created = await cli(['keys', 'create', 'reporting', '--scope', 'read', '--sites', SITE], env);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^mm_[A-Za-z0-9_-]+$/);
    expect(await statusWith(key)).toBe(200);

    const listed = await cli(['keys', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.endsWith('reporting  (last used never)') || l.includes(' reporting  '));
    expect(line).toMatch(new RegExp(`^[0-9a-f-]{36}  read    ${SITE.replace('.', '\\.')}  reporting  \\(last used `));
    const id = line?.split(' ')[0] ?? '';

    const revoked = await cli(['keys', 'revoke', id], env);
    expect([revoked.code, revoked.stdout]).toEqual([0, `key ${id} revoked\n`]);
    expect(await statusWith(key)).toBe(401);
  });

  it("passes the server's refusals on, and wrong usage is exit 2", async () => {
    const bad = await cli(['keys', 'create', 'x', '--scope', 'owner'], env);
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([
      1,
      expect.stringMatching(/^mallard-metrics: creating the key failed: scope: /),
    ]);
    const usage = await cli(['keys', 'rotate'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('keys: list, create <name> --scope …, or revoke <id>');
  });

  it('says to start the server when none runs', async () => {
    const none = await cli(['keys', 'list'], { ...env, MALLARD_PORT: String(await freePort()) });
    expect([none.code, none.stderr]).toEqual([
      1,
      'mallard-metrics: no server answers at the configured address: start it (mallard-metrics serve); the keys command asks it\n',
    ]);
  });
});

/** The CLI with `input` on its standard input. */
function cliWithInput(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [join(import.meta.dirname, '../../dist/main.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', MALLARD_LOG_LEVEL: 'warn', ...env },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  proc.stdin.end(input);
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('users', () => {
  it('creates a user with the password from standard input, lists and removes them', async () => {
    const created = await cliWithInput(['users', 'create', 'Ana@CLI.test'], 'a long password\n');
    expect(created.code, created.stderr).toBe(0);
    const [id, email] = created.stdout.trim().split(/\s+/);
    expect(email).toBe('ana@cli.test');
    // The password given on standard input signs Ana in.
    const signIn = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ana@cli.test', password: 'a long password' }),
    });
    expect(signIn.status).toBe(200);
    const listed = await cli(['users', 'list'], env);
    expect(listed.stdout.split('\n').filter(Boolean)).toEqual(['super-admin  (no e-mail)  super-admin', `${id}  ana@cli.test`]);
    const removed = await cli(['users', 'remove', id ?? ''], env);
    expect([removed.code, removed.stdout]).toEqual([0, `user ${id} removed\n`]);
    const short = await cliWithInput(['users', 'create', 'bo@cli.test'], 'short\n');
    expect([short.code, short.stderr]).toEqual([
      1,
      'mallard-metrics: creating the user failed: password: at least 8 characters\n',
    ]);
  });
});

describe('export', () => {
  it("writes the period's daily numbers as CSV to stdout", async () => {
    const r = await cli(['export', '--site', SITE, '--from', '2026-03-10', '--to', '2026-03-10'], env);
    expect(r.code, r.stderr).toBe(0);
    // CSV lines end in CRLF (RFC 4180), as the route writes them.
    expect(r.stdout).toBe(
      'date,visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events\r\n2026-03-10,2,2,3,1.5,0.5,30,3\r\n',
    );
  });

  it('writes raw events to a file', async () => {
    const file = join(out, 'events.ndjson');
    const r = await cli(
      [
        'export',
        '--site',
        SITE,
        '--from',
        '2026-03-10',
        '--to',
        '2026-03-10',
        '--kind',
        'events',
        '--format',
        'json',
        '--out',
        file,
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    // Raw events in JSON are one object per line.
    const rows = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pathname: string; timestamp: string });
    expect(rows.map((e) => [e.timestamp.slice(11, 16), e.pathname])).toEqual([
      ['10:00', '/'],
      ['10:01', '/pricing'],
      ['11:00', '/'],
    ]);
    expect(r.stderr).toMatch(/^export written to .*events\.ndjson: \d+ bytes\n$/);
  });

  it('passes a bad parameter on as the server names it', async () => {
    const r = await cli(['export', '--site', SITE, '--from', '2026-03-10', '--to', '2026-03-10', '--format', 'xml'], env);
    expect([r.code, r.stderr.startsWith('mallard-metrics: the export failed: format: ')]).toEqual([1, true]);
  });
});

describe('--help', () => {
  it('lists every command', async () => {
    const r = await cli(['--help'], env);
    const commands = r.stdout
      .split('\n')
      .filter((l) => /^ {2}[a-z]/.test(l))
      .map((l) => l.trim().split(/\s+/)[0]);
    expect([r.code, [...new Set(commands)]]).toEqual([
      0,
      ['serve', 'backup', 'restore', 'import', 'export', 'keys', 'users', 'demo'],
    ]);
  });
});
