/**
 * The ClickHouse migrations (src/storage/clickhouse/schema.ts) on the real engine: a database
 * as migration 6 left it — events without the region code and city id, visit rows without
 * them, visit rows' pages without their event counts — takes migrations 7 and 8 alone and ends
 * with the columns of a database made new, in the same order, its stored rows kept (their
 * codes NULL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import { migrate, toInsertRow } from '../../src/storage/clickhouse/schema.js';
import { type ClickHouseEndpoint, startClickHouse } from '../helpers/clickhouse.js';
import { storedRow } from '../helpers/stored-row.js';

let endpoint: ClickHouseEndpoint;
beforeAll(async () => {
  endpoint = await startClickHouse();
}, 120_000);
afterAll(() => endpoint?.stop());

async function migrated(database: string): Promise<ClickHouseConnection> {
  const server = ClickHouseConnection.forServer({ url: endpoint.url, database });
  const conn = new ClickHouseConnection({ url: endpoint.url, database });
  await migrate(server, conn, database);
  await server.close();
  return conn;
}

const columns = async (conn: ClickHouseConnection, database: string, table: string) =>
  (
    await conn.all<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = '${database}' AND table = '${table}' ORDER BY position`,
    )
  ).map((c) => `${c.name} ${c.type}`);

describe('ClickHouse migrations 7 (region code and city id) and 8 (pages with their events)', () => {
  it('brings a database of migration 6 to the columns of a new one, keeping its rows', async () => {
    const fresh = await migrated('mig_new');
    const old = await migrated('mig_old');
    // Back to what migration 6 left: without the two columns and the visit rows' two attributes.
    await old.command('ALTER TABLE events DROP COLUMN region_code, DROP COLUMN city_geoname_id');
    await old.command('ALTER TABLE visits DROP COLUMN v_region_code, DROP COLUMN v_city_geoname_id');
    await old.command('ALTER TABLE visits MODIFY COLUMN s_pages Array(Tuple(p String, pv Int64, v UInt64, vs Array(UInt64)))');
    await old.command('TRUNCATE TABLE schema_migrations');
    await old.command('INSERT INTO schema_migrations (version) VALUES (1), (2), (3), (4), (5), (6)');
    const row = toInsertRow(
      storedRow({ site_id: 'a.test', visitor_id: 1n, session_id: 1n, timestamp: new Date('2026-01-10T10:00:00Z'), seq: 1n }),
      'n',
    );
    const { region_code: _r, city_geoname_id: _c, ...before } = row as Record<string, unknown>;
    await old.insert('events', [before], 'mig-old-1');

    const server = ClickHouseConnection.forServer({ url: endpoint.url, database: 'mig_old' });
    expect(await migrate(server, old, 'mig_old')).toEqual([7, 8]);
    await server.close();
    for (const table of ['events', 'visits']) {
      const now = await columns(old, 'mig_old', table);
      if (table === 'visits') expect(now).toEqual(await columns(fresh, 'mig_new', table));
      else expect([...now].sort()).toEqual([...(await columns(fresh, 'mig_new', table))].sort());
    }
    expect(await old.all('SELECT site_id, region_code, city_geoname_id FROM events')).toEqual([
      { site_id: 'a.test', region_code: null, city_geoname_id: null },
    ]);
    await fresh.close();
    await old.close();
  });
});
