#!/usr/bin/env node
/**
 * Builds the tracking script: one minified file per combination of extensions (the
 * variants `/tracking/script[.<ext>…].js` serves), each with a gzip copy made here so the
 * server never compresses at request time. Fails, printing the size, when the default
 * `script.js` is over its gzip budget: the budget is part of the product
 * (docs/API.md, "Tracking script").
 *
 * Usage: node scripts/build-tracker.mjs [--out dist/tracker] [--budget 1024]
 * (the options exist so a test can prove that an over-budget build fails).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Extensions in canonical (alphabetical) order; a variant's file name lists them in it. */
export const EXTENSIONS = [
  'file-downloads',
  'form-submissions',
  'hash',
  'manual',
  'outbound-links',
  'pageview-props',
  'tagged-events',
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { out: { type: 'string', default: join(root, 'dist/tracker') }, budget: { type: 'string', default: '1024' } },
});
const budget = Number(values.budget);
if (!Number.isInteger(budget) || budget <= 0) {
  console.error(`build-tracker: --budget must be a positive integer, not "${values.budget}"`);
  process.exit(2);
}

const variants = [];
for (let mask = 0; mask < 1 << EXTENSIONS.length; mask++) {
  const exts = EXTENSIONS.filter((_, i) => mask & (1 << i));
  const define = Object.fromEntries(
    EXTENSIONS.map((ext) => [`FEATURE_${ext.toUpperCase().replaceAll('-', '_')}`, String(exts.includes(ext))]),
  );
  const result = await build({
    entryPoints: [join(root, 'tracker/src/main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    // Native `?.`/`??`; every browser with fetch keepalive runs ES2020.
    target: 'es2020',
    // No tsconfig: its `strict` would add a "use strict" prologue the script does not need.
    tsconfigRaw: {},
    legalComments: 'none',
    define,
    write: false,
  });
  const js = Buffer.from(result.outputFiles[0].contents);
  const gz = gzipSync(js, { level: 9 });
  variants.push({ name: ['script', ...exts, 'js'].join('.'), exts, js, gz });
}

const main = variants[0];
const largest = variants.reduce((a, b) => (b.gz.length > a.gz.length ? b : a));
if (main.gz.length > budget) {
  // Nothing is written: an over-budget script must not replace the served one.
  console.error(`build-tracker: FAILED: script.js is ${main.gz.length} bytes gzipped, over the budget of ${budget} bytes`);
  process.exit(1);
}

rmSync(values.out, { recursive: true, force: true });
mkdirSync(values.out, { recursive: true });
for (const v of variants) {
  writeFileSync(join(values.out, v.name), v.js);
  writeFileSync(join(values.out, `${v.name}.gz`), v.gz);
}
const manifest = {
  extensions: EXTENSIONS,
  budget,
  variants: Object.fromEntries(variants.map((v) => [v.name, { bytes: v.js.length, gzip: v.gz.length }])),
};
writeFileSync(join(values.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `build-tracker: script.js is ${main.gz.length} bytes gzipped (budget ${budget}); ` +
    `${variants.length} variants, largest ${largest.name} ${largest.gz.length} bytes gzipped → ${values.out}`,
);
