import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../src/config.js';

const noFile: string[] = [];

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, noFile);
    expect([c.host, c.port, c.data_dir, c.flush_count, c.flush_interval, c.retention_days, c.session_timeout]).toEqual([
      '0.0.0.0',
      8000,
      'data',
      20_000,
      60,
      0,
      1800,
    ]);
    expect(c.storage).toBe('duckdb');
    expect(c.site_ids).toEqual([]);
  });

  it('reads the TOML file and lets the environment win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-cfg-'));
    const file = join(dir, 'm.toml');
    writeFileSync(file, 'port = 9000\nflush_count = 5\nsite_ids = ["a.com", "b.com"]\n');
    const c = loadConfig({ MALLARD_PORT: '9100', MALLARD_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' }, ['--config', file]);
    expect(c.port).toBe(9100);
    expect(c.flush_count).toBe(5);
    expect(c.site_ids).toEqual(['a.com', 'b.com']);
    expect(c.trusted_proxies).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it.each([
    [{ MALLARD_PORT: 'eighty' }, /port \(MALLARD_PORT\)/],
    [{ MALLARD_PORT: '70000' }, /port \(MALLARD_PORT\)/],
    [{ MALLARD_FLUSH_COUNT: '0' }, /flush_count \(MALLARD_FLUSH_COUNT\)/],
    [{ MALLARD_LOG_FORMAT: 'xml' }, /log_format \(MALLARD_LOG_FORMAT\)/],
    [{ MALLARD_SECRET: 'short' }, /secret \(MALLARD_SECRET\)/],
    [{ MALLARD_STORAGE: 'clickhouse' }, /clickhouse_url \(MALLARD_CLICKHOUSE_URL\)/],
    [{ MALLARD_WAL_FSYNC: 'maybe' }, /wal_fsync \(MALLARD_WAL_FSYNC\)/],
    [{ MALLARD_JS_HEAP_GROWTH_PERCENT: '-5' }, /js_heap_growth_percent \(MALLARD_JS_HEAP_GROWTH_PERCENT\)/],
  ])('names the bad key: %o', (env, message) => {
    expect(() => loadConfig(env, noFile)).toThrow(message);
  });

  it('rejects an unknown key in the file, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-cfg-'));
    const file = join(dir, 'm.toml');
    writeFileSync(file, 'prot = 9000\n');
    expect(() => loadConfig({}, ['--config', file])).toThrow('unknown config key "prot"');
  });

  it('reads shields of [[sites]], normalized, and names a bad entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-cfg-'));
    const file = join(dir, 'm.toml');
    writeFileSync(file, '[[sites]]\nid = "a.com"\nshields = { countries = ["de"], hostnames = ["WWW.a.com"] }\n');
    expect(loadConfig({}, ['--config', file]).sites[0]?.shields).toEqual({
      ips: [],
      countries: ['DE'],
      pages: [],
      hostnames: ['a.com'],
    });
    writeFileSync(file, '[[sites]]\nid = "a.com"\n[sites.shields]\nips = ["10.0.0.0/8", "10.0.0.0/40"]\n');
    expect(() => loadConfig({}, ['--config', file])).toThrow(
      'invalid config value for sites[0].shields.ips[1]: not an IP address or CIDR',
    );
    writeFileSync(file, '[[sites]]\nid = "a.com"\nshields = { ip = [] }\n');
    expect(() => loadConfig({}, ['--config', file])).toThrow('invalid config value for sites[0].shields: unknown key "ip"');
  });

  it('documents every key in the example file', async () => {
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(join(import.meta.dirname, '../mallard-metrics.toml.example'), 'utf8');
    for (const key of CONFIG_KEYS) expect(example).toMatch(new RegExp(`^#? ?${key} =`, 'm'));
  });
});
