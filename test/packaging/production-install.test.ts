/**
 * The production install (docs/DEPLOY.md), as the container image (Dockerfile) performs it,
 * without a container runtime (there is none here): the build stage's COPY lines copied into
 * an empty directory and built there (with this checkout's dev dependencies), then that
 * `dist/` beside package.json and the lock file and `npm ci --omit=dev`, as the final stage
 * holds them. No dev dependency may be installed, and the server must start from that
 * directory alone, take an event, answer its stats and pass the image's health check;
 * `npm start` must run that build without building (no compiler there).
 *
 * The install reads the registry, or npm's cache when it already holds the packages (the
 * test command's own install put them there).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, stats, UA } from '../integration/support.js';

const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

let dir = '';
let server: RunningServer | undefined;
let install: { status: number | null; output: string };

const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** The Dockerfile's stages: the instructions after each FROM, continuation lines joined. */
const stages = DOCKERFILE.replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .join('\n')
  .split(/^FROM .*$/m)
  .slice(1)
  .map((s) => s.trim().split('\n'));

/** Copies what the build stage's COPY lines name from the checkout into `to`. */
function copyLikeTheBuildStage(to: string): void {
  for (const line of stages[0] ?? []) {
    if (!line.startsWith('COPY ')) continue;
    const [, ...args] = line.split(/\s+/);
    const target = args.pop() as string;
    for (const src of args) {
      // As Docker reads it: into a directory (a trailing slash) under the source's name, else as that path.
      cpSync(join(ROOT, src), target.endsWith('/') ? join(to, target, basename(src)) : join(to, target), { recursive: true });
    }
  }
}

let built: { status: number | null; output: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mallard-prod-'));
  // The build stage, in a directory of its own: only what the Dockerfile copies, and this
  // checkout's dependencies (the stage's `npm ci` installs the same lock file).
  const build = join(dir, 'build');
  mkdirSync(build);
  copyLikeTheBuildStage(build);
  symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'));
  const b = spawnSync('npm', ['run', 'build'], { cwd: build, encoding: 'utf8', timeout: 300_000 });
  built = { status: b.status, output: `${b.stdout}${b.stderr}` };
  if (b.status !== 0) return;
  // The final stage: the build stage's dist/ and package files, production dependencies only.
  cpSync(join(build, 'dist'), join(dir, 'dist'), { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(build, f), join(dir, f));
  rmSync(build, { recursive: true });
  // --ignore-scripts: the image copies no build scripts; `prepare` is tested on its own below.
  const r = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
  });
  install = { status: r.status, output: `${r.stdout}${r.stderr}` };
}, 320_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a production install', () => {
  it('builds from the files the image copies, and nothing else', () => {
    expect(built.status, built.output).toBe(0);
  });

  it('installs the dependencies and none of the dev dependencies', () => {
    expect(install.status, install.output).toBe(0);
    for (const name of Object.keys(pkg.dependencies)) expect(existsSync(join(dir, 'node_modules', name)), name).toBe(true);
    const devInstalled = Object.keys(pkg.devDependencies).filter((name) => existsSync(join(dir, 'node_modules', name)));
    expect(devInstalled).toEqual([]);
  });

  it('npm start runs the build without building it', () => {
    expect(pkg.scripts.start).toBe('node dist/main.js serve');
    expect(pkg.bin['mallard-metrics']).toBe('dist/main.js');
  });

  it('prepare keeps the built dist/ when there is no compiler, and says so', () => {
    cpSync(join(ROOT, 'scripts', 'prepare.mjs'), join(dir, 'scripts', 'prepare.mjs'));
    const r = spawnSync(process.execPath, [join(dir, 'scripts', 'prepare.mjs')], { cwd: dir, encoding: 'utf8' });
    expect([r.status, r.stdout.trim()]).toEqual([0, 'prepare: production install: using the dist/ already built']);
    rmSync(join(dir, 'scripts'), { recursive: true });
  });

  it('lists its commands', () => {
    const r = spawnSync(process.execPath, [join(dir, 'dist', 'main.js'), '--help'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const commands = r.stdout
      .split('\n')
      .filter((l) => /^ {2}[a-z]/.test(l))
      .map((l) => l.trim().split(/\s+/)[0]);
    expect([...new Set(commands)]).toEqual(['serve', 'backup', 'restore', 'import', 'export', 'keys', 'users', 'demo']);
  });

  it('serves from that directory alone: takes an event and answers its stats', async () => {
    server = await startServer({ entry: join(dir, 'dist', 'main.js') });
    const cookie = await login(server.url);
    const key = await createKey(server.url, cookie, 'admin');
    const at = '2026-03-10T10:00:00Z';
    await loadBatch(server.url, key, [
      { d: 'prod.test', n: 'pageview', u: 'https://prod.test/', timestamp: at, ip: '203.0.113.9', user_agent: UA.chromeWindows },
      { d: 'prod.test', n: 'pageview', u: 'https://prod.test/a', timestamp: at, ip: '203.0.113.9', user_agent: UA.chromeWindows },
    ]);
    const main = await stats<{ unique_visitors: number; total_pageviews: number }>(server.url, key, 'main', {
      site_id: 'prod.test',
      start_date: '2026-03-10',
      end_date: '2026-03-10',
    });
    expect([main.unique_visitors, main.total_pageviews]).toEqual([1, 2]);
    // The tracker and the dashboard come from the copied build.
    expect((await fetch(`${server.url}/tracking/script.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/`)).status).toBe(200);
  });

  it("passes the image's health check, and the image runs as a user with /data its volume", () => {
    const final = stages[1] ?? [];
    const check = final.find((l) => l.startsWith('HEALTHCHECK'));
    const command = JSON.parse(check?.slice(check.indexOf('CMD ') + 4) ?? '[]') as string[];
    expect(command[0]).toBe('node');
    // The image listens on 8000; this server on a free port.
    const args = command.slice(1).map((a) => a.replace('127.0.0.1:8000', new URL(server?.url ?? '').host));
    expect(spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 10_000 }).status).toBe(0);
    expect(final).toContain('USER node');
    expect(final).toContain('VOLUME /data');
    expect(final.find((l) => l.startsWith('ENV '))).toContain('MALLARD_DATA_DIR=/data');
  });
});
