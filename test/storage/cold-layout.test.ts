/**
 * Start-up recovery of the cold tier: which files a compacted file replaces, by name alone.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPartitions } from '../../src/storage/duckdb/cold-layout.js';

const n = (id: number, from?: number) =>
  `${String(id).padStart(20, '0')}${from === undefined ? '' : `.c${String(from).padStart(20, '0')}`}.parquet`;

describe('scanPartitions', () => {
  it.each([
    ['compaction finished, sources not yet deleted', [n(1), n(2), n(3), n(3, 1)], [n(3, 1)]],
    ['a second run of small files after a large one', [n(3, 1), n(4), n(5), n(5, 4)], [n(3, 1), n(5, 4)]],
    ['a full rewrite replaces everything before it', [n(3, 1), n(5, 4), n(6), n(6, 0)], [n(6, 0)]],
    ['a range replaces only what it covers', [n(1), n(2), n(2, 2)], [n(1), n(2, 2)]],
    ['flush files only: nothing to do', [n(1), n(7)], [n(1), n(7)]],
    ['temp files from a crash before rename are removed', [n(1), `.${n(2)}.tmp`], [n(1)]],
  ])('%s', (_label, present, kept) => {
    const root = mkdtempSync(join(tmpdir(), 'mm-cold-'));
    const dir = join(root, 'site_id=a.com', 'date=2026-01-10');
    mkdirSync(dir, { recursive: true });
    for (const name of present) writeFileSync(join(dir, name), '');
    const parts = scanPartitions(root);
    expect(readdirSync(dir).sort()).toEqual([...kept].sort());
    expect(
      parts
        .get('a.com\u00002026-01-10')
        ?.files.map((f) => f.name)
        .sort(),
    ).toEqual([...kept].sort());
  });
});
