/**
 * One ClickHouse database over HTTP (`@clickhouse/client`): statements with the bound
 * parameters `render` produced for the ClickHouse dialect (`{p1:Type}` → `p1`), rows in the
 * JavaScript shape the DuckDB client gives (values.ts), and idempotent inserts.
 */

import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type ClickHouseClient, ClickHouseError, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { unavailable } from '../../errors.js';
import type { SqlValue } from '../storage.js';
import { converterOf, convertRow } from './values.js';

export interface ClickHouseOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** How long one statement may take before it is given up (the client's default is 30 s). */
  requestTimeoutMs?: number;
}

/** A stats query over a long period of a big site may take minutes on a small server. */
const REQUEST_TIMEOUT_MS = 300_000;

/**
 * Every statement reads and writes times in UTC, whatever the server's zone; 64-bit
 * integers (visitor ids, counts) arrive quoted, so no digit is lost to a JS number. The
 * queries are written once for both engines, so ClickHouse answers as SQL (and DuckDB)
 * does where its defaults differ: an outer join's missing side is NULL, not the type's
 * default, and a CAST keeps a NULL (`CAST(NULL AS BIGINT)`) instead of failing.
 */
const SETTINGS = {
  session_timezone: 'UTC',
  output_format_json_quote_64bit_integers: 1,
  join_use_nulls: 1,
  cast_keep_nullable: 1,
} as const;

/** `render`'s positional parameters under the names the ClickHouse dialect gives them (`{p1:…}`). */
const named = (params: readonly unknown[]) => Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));

type Compact = unknown[];

/** ClickHouse errors that say "not now" rather than "wrong query": memory, load, timeouts. */
const BUSY_CODES = new Set(['159', '202', '241', '394']);

/**
 * A failure the caller can act on becomes `unavailable` (503): ClickHouse out of reach, or
 * refusing for load or memory. Anything else (a wrong statement) is rethrown as a bug.
 */
export function clickhouseFailure(err: unknown): unknown {
  if (err instanceof ClickHouseError) {
    return BUSY_CODES.has(err.code)
      ? unavailable(`ClickHouse refused the query for now: ${err.message.slice(0, 200)}`, 5, err)
      : err;
  }
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const message = String((err as Error)?.message);
  if (/timeout/i.test(message) && code !== 'ETIMEDOUT') {
    return unavailable('ClickHouse did not answer in time; try a shorter period, or later', 10, err);
  }
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|UND_ERR)/.test(code) || /socket hang up/i.test(message)) {
    return unavailable('ClickHouse is unreachable; events are kept in the write-ahead log meanwhile', 10, err);
  }
  return err;
}

const guarded = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (err) {
    throw clickhouseFailure(err);
  }
};

export class ClickHouseConnection {
  private readonly client: ClickHouseClient;
  /** Settings of every query besides the client's (features the server was found to have). */
  private querySettings: Record<string, string | number> = {};

  constructor(readonly options: ClickHouseOptions) {
    this.client = createClient({
      url: options.url,
      database: options.database,
      username: options.username,
      password: options.password,
      request_timeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      clickhouse_settings: SETTINGS,
      // Errors reach the caller (and its logger) as exceptions; the client's own console lines would duplicate them.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /** Adds settings to every later query (a server feature the store found, e.g. materialized CTEs). */
  useSettings(settings: Record<string, string | number>): void {
    this.querySettings = { ...this.querySettings, ...settings };
  }

  /** Whether the server knows a setting (features differ between ClickHouse versions). */
  async hasSetting(name: string): Promise<boolean> {
    const [row] = await this.all<{ n: bigint }>('SELECT count() AS n FROM system.settings WHERE name = {p1:String}', [name]);
    return Number(row?.n ?? 0) > 0;
  }

  /** A client on the server's default database, for creating ours. */
  static forServer(options: ClickHouseOptions): ClickHouseConnection {
    return new ClickHouseConnection({ ...options, database: 'default' });
  }

  async command(sql: string, params: readonly unknown[] = []): Promise<void> {
    await guarded(() =>
      this.client.command({ query: sql, query_params: named(params), clickhouse_settings: this.querySettings }),
    );
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const [names = [], types = [], ...rows] = await guarded(async () => {
      const result = await this.client.query({
        query: sql,
        query_params: named(params),
        format: 'JSONCompactEachRowWithNamesAndTypes',
        clickhouse_settings: this.querySettings,
      });
      return result.json<Compact>();
    });
    const converters = (types as string[]).map(converterOf);
    return rows.map((row) => {
      const values = convertRow(converters, row);
      const out: Record<string, unknown> = {};
      (names as string[]).forEach((name, i) => {
        out[name] = values[i];
      });
      return out as T;
    });
  }

  /** Rows chunk by chunk, as arrays in select order; each `onRows` is awaited before the next. */
  async stream(
    sql: string,
    params: readonly SqlValue[],
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void> | void,
  ): Promise<number> {
    const result = await guarded(() =>
      this.client.query({
        query: sql,
        query_params: named(params),
        format: 'JSONCompactEachRowWithNamesAndTypes',
        clickhouse_settings: this.querySettings,
      }),
    );
    let converters: ((v: unknown) => unknown)[] = [];
    let header = 0;
    let n = 0;
    for await (const chunk of result.stream<Compact>()) {
      const rows: unknown[][] = [];
      for (const r of chunk) {
        const values = r.json() as unknown[];
        if (header < 2) {
          header++;
          if (header === 2) converters = (values as string[]).map(converterOf);
          continue;
        }
        rows.push(convertRow(converters, values));
      }
      if (rows.length > 0) {
        n += rows.length;
        await onRows(rows);
      }
    }
    return n;
  }

  /**
   * Inserts rows (objects by column name) once: a retry with the same token after a crash or
   * a lost answer is dropped by the server (MergeTree insert deduplication).
   */
  async insert(table: string, rows: readonly Record<string, unknown>[], token: string): Promise<void> {
    await guarded(() =>
      this.client.insert({
        table,
        values: rows as Record<string, unknown>[],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: token },
      }),
    );
  }

  /** A statement's rows as a ZSTD Parquet file, streamed from the server into `path`. */
  async toParquetFile(sql: string, params: readonly unknown[], path: string): Promise<void> {
    await guarded(async () => {
      const result = await this.client.exec({
        query: `${sql}\nFORMAT Parquet`,
        query_params: named(params),
        clickhouse_settings: { ...this.querySettings, output_format_parquet_compression_method: 'zstd' },
      });
      await pipeline(result.stream, createWriteStream(path, { mode: 0o600 }));
    });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()).success;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
