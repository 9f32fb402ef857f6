/**
 * How the ClickHouse connection answers failures (src/storage/clickhouse/connection.ts), on
 * the real engine: "not now" is a 503-kind DomainError naming what happened, a wrong
 * statement stays an error of its own (a bug, a 500).
 */
import { ClickHouseError } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import { type ClickHouseEndpoint, startClickHouse } from '../helpers/clickhouse.js';

let endpoint: ClickHouseEndpoint;
beforeAll(async () => {
  endpoint = await startClickHouse();
}, 120_000);
afterAll(() => endpoint?.stop());

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );

describe('ClickHouse connection failures', () => {
  it('a statement slower than the request timeout: unavailable, "did not answer in time"', async () => {
    const conn = new ClickHouseConnection({ url: endpoint.url, database: 'default', requestTimeoutMs: 500 });
    const err = await failure(conn.all('SELECT sleep(2) AS x'));
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unavailable');
    expect((err as DomainError).message).toBe('ClickHouse did not answer in time; try a shorter period, or later');
    await conn.close();
  });

  it('nothing listening: unavailable, "unreachable"', async () => {
    const conn = new ClickHouseConnection({ url: 'http://127.0.0.1:9', database: 'default' });
    const err = await failure(conn.all('SELECT 1'));
    expect((err as DomainError).kind).toBe('unavailable');
    expect((err as DomainError).message).toBe('ClickHouse is unreachable; events are kept in the write-ahead log meanwhile');
    expect(await conn.ping()).toBe(false);
    await conn.close();
  });

  it('a wrong statement: ClickHouse’s own error, not "not now"', async () => {
    const conn = new ClickHouseConnection({ url: endpoint.url, database: 'default' });
    const err = await failure(conn.all('SELEC 1'));
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe('62');
    await conn.close();
  });
});

describe('the test engine after a failed statement', () => {
  // A statement failing while it runs (here: the pattern is compiled per row) has written its
  // header already; the next answer must hold only its own rows (test/helpers/clickhouse-http.ts).
  it('answers the next statement with exactly its own rows', async () => {
    const conn = new ClickHouseConnection({ url: endpoint.url, database: 'default' });
    const err = await failure(conn.all("SELECT match(materialize(''), concat('(?i)', {p1:String})) AS a", ['\\']));
    expect((err as ClickHouseError).code).toBe('427');
    expect(await conn.all('SELECT 7 AS n')).toEqual([{ n: 7 }]);
    await conn.close();
  });
});
