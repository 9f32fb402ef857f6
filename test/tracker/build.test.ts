/**
 * The tracker build (scripts/build-tracker.mjs, run by `npm run build`): the default
 * script is under its 1 KB gzip budget, every variant exists with a matching gzip copy and
 * carries only its own extensions' code, and the build fails (writing nothing) when the
 * default script is over the budget.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, 'dist/tracker');
const EXTENSIONS = ['file-downloads', 'form-submissions', 'hash', 'manual', 'outbound-links', 'pageview-props', 'tagged-events'];
const read = (name: string) => readFileSync(join(OUT, name));
const text = (name: string) => read(name).toString('utf8');

/** Every subset of the extensions, as file names in canonical (alphabetical) order. */
function allVariantNames(): string[] {
  const names: string[] = [];
  for (let mask = 0; mask < 1 << EXTENSIONS.length; mask++) {
    names.push(['script', ...EXTENSIONS.filter((_, i) => mask & (1 << i)), 'js'].join('.'));
  }
  return names;
}

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function runBuild(budget: number): { status: number | null; stdout: string; stderr: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mallard-tracker-build-'));
  scratch.push(dir);
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-tracker.mjs'), '--out', out, '--budget', String(budget)], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, out };
}

describe('tracker build output', () => {
  it('holds the default script under 1,024 bytes gzipped, and its gzip copy is the same script', () => {
    const gz = read('script.js.gz');
    expect(gz.length).toBeLessThan(1024);
    expect(gunzipSync(gz).equals(read('script.js'))).toBe(true);
  });

  it('has all 128 variants, each with its gzip copy, and a manifest with their sizes', () => {
    const names = allVariantNames();
    expect(names).toHaveLength(128);
    const files = readdirSync(OUT).sort();
    expect(files).toEqual([...names, ...names.map((n) => `${n}.gz`), 'manifest.json'].sort());
    const manifest = JSON.parse(text('manifest.json')) as {
      extensions: string[];
      budget: number;
      variants: Record<string, { bytes: number; gzip: number }>;
    };
    expect(manifest.extensions).toEqual(EXTENSIONS);
    expect(manifest.budget).toBe(1024);
    for (const name of names) {
      expect(manifest.variants[name]).toEqual({ bytes: read(name).length, gzip: read(`${name}.gz`).length });
      expect(gunzipSync(read(`${name}.gz`)).equals(read(name))).toBe(true);
    }
  });

  it("compiles each extension's code only into its variants", () => {
    const main = text('script.js');
    // Link, tag and form tracking and script-tag props are not in the default script...
    expect(main).not.toContain('Outbound Link: Click');
    expect(main).not.toContain('File Download');
    expect(main).not.toContain('event-');
    expect(main).not.toContain('Form: Submission');
    expect(main).not.toContain('submit');
    expect(main).not.toContain('click');
    // ...the outbound variant has outbound links only, the downloads variant downloads only.
    expect(text('script.outbound-links.js')).toContain('Outbound Link: Click');
    expect(text('script.outbound-links.js')).not.toContain('File Download');
    expect(text('script.file-downloads.js')).toContain('File Download');
    expect(text('script.file-downloads.js')).not.toContain('Outbound Link: Click');
    expect(text('script.pageview-props.js')).toContain('event-');
    // Tagged events read the classes; form submissions alone do not (no tags to skip).
    expect(text('script.tagged-events.js')).toContain('(?:mallard|plausible)-event-');
    expect(text('script.tagged-events.js')).not.toContain('Form: Submission');
    expect(text('script.form-submissions.js')).toContain('Form: Submission');
    expect(text('script.form-submissions.js')).not.toContain('-event-');
    expect(text('script.form-submissions.tagged-events.js')).toContain('Form: Submission');
    // Outbound links skip tagged links only when tagged-events is built in too.
    expect(text('script.outbound-links.js')).not.toContain('-event-');
    // Engagement is no extension: the default script and the manual variant report it too.
    expect(main).toContain('"engagement"');
    expect(text('script.manual.js')).toContain('"engagement"');
    // The manual variant has no automatic page views (no history patching at all).
    expect(main).toContain('pushState');
    expect(text('script.manual.js')).not.toContain('pushState');
    // The hash variant does not read data-hash: hash mode is always on.
    expect(main).toContain('"hash"');
    expect(text('script.hash.js')).not.toContain('"hash"');
  });
});

describe('build-tracker.mjs budget', () => {
  const size = read('script.js.gz').length;

  it('fails over budget, prints the size, and writes nothing', () => {
    const r = runBuild(size - 1);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`script.js is ${size} bytes gzipped, over the budget of ${size - 1} bytes`);
    expect(existsSync(r.out)).toBe(false);
  });

  it('passes at exactly the budget and reports the size', () => {
    const r = runBuild(size);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`script.js is ${size} bytes gzipped (budget ${size})`);
    expect(readFileSync(join(r.out, 'script.js.gz')).length).toBe(size);
  });
});
