#!/usr/bin/env node
/**
 * Runs at `npm install` (the `prepare` script) so that `npm start` serves a build without
 * building at every start. A checkout with its dev dependencies builds; a production install
 * (`npm ci --omit=dev`) has no compiler and must bring a built `dist/` (docs/DEPLOY.md),
 * which this checks instead of failing on a missing `tsc`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function resolvable(name) {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

if (resolvable('typescript') && resolvable('esbuild')) {
  const run = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
if (!existsSync(join(root, 'dist', 'main.js'))) {
  console.error('prepare: no dist/ and no dev dependencies to build it: run `npm install` then `npm run build` first');
  process.exit(1);
}
console.log('prepare: production install: using the dist/ already built');
