#!/usr/bin/env node
/**
 * Builds the dashboard (dashboard/src, Preact + htm + uPlot) into dist/dashboard/: one
 * minified script and one stylesheet with content-hashed names under assets/, an
 * index.html that references them (no inline script or style: the CSP forbids both), a
 * gzip copy of every file (the server never compresses at request time) and
 * manifest.json with the sizes. Fails, printing the sizes, when script + stylesheet are
 * over the gzip budget: a small bundle is part of "fast". (64 KiB since users, roles and
 * two-factor sign-in: the Users page, the Members card, the invitation page, the two-factor
 * card; 65 KiB since errors a person can act on: the unreachable-server banner and its
 * retry, the refused-filter note, the no-access page, about 1.1 KB. The next lever is loading
 * the settings and account screens apart from the overview.)
 *
 * Usage: node scripts/build-dashboard.mjs [--out dist/dashboard] [--budget 66560]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'dashboard/src');
const { values } = parseArgs({
  options: { out: { type: 'string', default: join(root, 'dist/dashboard') }, budget: { type: 'string', default: '66560' } },
});
const budget = Number(values.budget);
if (!Number.isInteger(budget) || budget <= 0) {
  console.error(`build-dashboard: --budget must be a positive integer, not "${values.budget}"`);
  process.exit(2);
}

const result = await build({
  entryPoints: [join(src, 'main.ts'), join(src, 'styles.css')],
  bundle: true,
  minify: true,
  format: 'esm',
  // Every browser from 2020 on (native classes, optional chaining, ESM)
  target: 'es2020',
  entryNames: '[name]-[hash]',
  outdir: join(values.out, 'assets'),
  legalComments: 'none',
  // Preact's debug hooks are never bundled; `process.env.NODE_ENV` checks fold away.
  define: { 'process.env.NODE_ENV': '"production"' },
  write: false,
  logLevel: 'warning',
});

/** The favicon, hashed like the rest (a request for /favicon.ico would be a console 404). */
const icon = readFileSync(join(src, 'icon.svg'));
const iconName = `icon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;

const files = result.outputFiles.map((f) => ({ name: basename(f.path), bytes: Buffer.from(f.contents) }));
files.push({ name: iconName, bytes: icon });
const script = files.find((f) => f.name.endsWith('.js'));
const style = files.find((f) => f.name.endsWith('.css'));
if (!script || !style) throw new Error('build-dashboard: esbuild produced no script or no stylesheet');

const indexHtml = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="referrer" content="same-origin" />
    <title>Mallard Metrics</title>
    <link rel="icon" type="image/svg+xml" href="/assets/${iconName}" />
    <link rel="stylesheet" href="/assets/${style.name}" />
    <script type="module" src="/assets/${script.name}"></script>
  </head>
  <body>
    <div id="app"><p class="boot">Loading Mallard Metrics…</p></div>
    <noscript><p class="boot">The Mallard Metrics dashboard needs JavaScript.</p></noscript>
  </body>
</html>
`;

const gz = (b) => gzipSync(b, { level: 9 });
const sizes = Object.fromEntries(
  files.map((f) => [f.name, { bytes: f.bytes.length, gzip: gz(f.bytes).length }]),
);
const scriptGz = sizes[script.name].gzip;
const styleGz = sizes[style.name].gzip;
if (scriptGz + styleGz > budget) {
  console.error(
    `build-dashboard: FAILED: ${script.name} (${scriptGz} B) + ${style.name} (${styleGz} B) gzipped are over the budget of ${budget} bytes`,
  );
  process.exit(1);
}

rmSync(values.out, { recursive: true, force: true });
mkdirSync(join(values.out, 'assets'), { recursive: true });
for (const f of files) {
  writeFileSync(join(values.out, 'assets', f.name), f.bytes);
  writeFileSync(join(values.out, 'assets', `${f.name}.gz`), gz(f.bytes));
}
const html = Buffer.from(indexHtml);
writeFileSync(join(values.out, 'index.html'), html);
writeFileSync(join(values.out, 'index.html.gz'), gz(html));
const manifest = { script: script.name, style: style.name, icon: iconName, budget, assets: sizes };
writeFileSync(join(values.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `build-dashboard: ${script.name} ${scriptGz} B gzipped (${script.bytes.length} B), ` +
    `${style.name} ${styleGz} B gzipped (${style.bytes.length} B); budget ${budget} → ${values.out}`,
);
