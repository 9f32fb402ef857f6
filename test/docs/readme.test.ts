/**
 * README.md's "First steps" run as written: its shell block, line by line (continuations
 * joined), with bash — the server started by the first line (`npm start`, from this checkout,
 * on port 8000 as the README says), the curl lines against it from a scratch directory. The
 * only thing the test adds is where the data goes (MALLARD_DATA_DIR, a fresh directory).
 * The outcome the README promises: the page view is counted, and the stats say so.
 * (The setup command before it, `npm install`, is what the test command itself ran.)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeScratchDirs, scratchDir } from '../integration/support.js';

const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first ```sh block after a heading, as commands: continuation lines joined, comments dropped. */
function commandsUnder(heading: string): string[] {
  const section = README.slice(README.indexOf(`\n## ${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

const commands = commandsUnder('First steps');
const dataDir = scratchDir('readme-data');
const cwd = scratchDir('readme-cwd');
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MALLARD_DATA_DIR: dataDir, MALLARD_LOG_LEVEL: 'warn' };
let server: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  const [start] = commands;
  // Its own process group, so that npm and the server it starts stop together.
  server = spawn('bash', ['-c', start ?? ''], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  server.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`"${start}" exited:\n${output}`);
    if ((await fetch('http://localhost:8000/health').catch(() => null))?.ok) break;
    if (Date.now() > deadline) throw new Error(`"${start}" did not answer on port 8000:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 40_000);

afterAll(async () => {
  if (server?.pid && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
  removeScratchDirs();
});

describe("README's first steps", () => {
  it('start the server, then send, sign in and read as written', () => {
    expect(commands[0]).toBe("MALLARD_ADMIN_PASSWORD='a long password' npm start");
    const answers = commands.slice(1).map((command) => {
      const r = spawnSync('bash', ['-c', command], { cwd, env, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, `${command}\n${r.stderr}`).toBe(0);
      return r.stdout;
    });
    // Three curl lines: the page view (202, no body), the sign-in, the stats.
    expect(answers).toHaveLength(3);
    expect(JSON.parse(answers[2] ?? '')).toMatchObject({ unique_visitors: 1, visits: 1, total_pageviews: 1, bounce_rate: 1 });
  });
});
