/**
 * Reads of the embedded store: stats and behavioral statements under the shared lock, over
 * the site's own files, with the derived tier's view, a damaged file set aside and the
 * statement tried again, and a statement refused for memory tried again a few times.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import pLimit from 'p-limit';
import { duckdb } from '../../query/dialects/duckdb.js';
import type { DerivedView, QueryRunner, SqlValue } from '../storage.js';
import { eventsRelation, maxId, type Partition } from './cold-layout.js';
import { setAsideAfter } from './damaged-files.js';
import { literal, refusedForMemory } from './database.js';
import { type RollupFile, setsOfFiles } from './rollup-cache.js';
import type { StoreParts } from './store-parts.js';

/** How many damaged files one read may set aside before its error is passed on. */
const MAX_QUARANTINE_RETRIES = 5;
/**
 * A read refused for memory is tried again this often, after 250 ms, 500 ms, 1 s, 2 s: a
 * flush, a derived build or a burst of queries holds the memory only for a while.
 */
const MEMORY_RETRIES = 4;
const MEMORY_RETRY_MS = 250;

/**
 * Reads (stats and behavioral queries) that run at once; more wait their turn. Each already
 * uses every engine thread, so a third only shares the cores with the first two: the
 * filtered overview's eight parallel queries at 10M events took 6 % (country), 17 % (page)
 * and 20 % (source) less time with two at a time than with four. Not the pool size: raw
 * exports stream on a connection of their own while a slow client reads, and other
 * statements (sign-in, flushes) must still find one.
 */
const CONCURRENT_READS = 2;

export class StoreReads {
  /** See CONCURRENT_READS. */
  private readonly limit = pLimit(CONCURRENT_READS);

  constructor(private readonly parts: StoreParts) {}

  /**
   * Runs `fn` under the read lock. When it fails on a damaged file, the file is set aside
   * (quarantine.ts) and `fn` runs again on what is left, so one bad file costs its own
   * events, not the site's answers. Refused for memory, it is tried again a few times over
   * about four seconds (background work and other queries hold memory only for a while);
   * then the 503 stands.
   */
  async read<T>(fn: (q: QueryRunner) => Promise<T>): Promise<T> {
    for (let attempt = 0, memoryRetries = 0; ; attempt++) {
      const touched = new Set<Partition>();
      try {
        return await this.once(fn, touched);
      } catch (err) {
        if (refusedForMemory(err) && memoryRetries++ < MEMORY_RETRIES) {
          await new Promise((r) => setTimeout(r, MEMORY_RETRY_MS * 2 ** (memoryRetries - 1)));
          continue;
        }
        if (attempt >= MAX_QUARANTINE_RETRIES || !(await setAsideAfter(this.parts, err, touched))) throw err;
      }
    }
  }

  /** See EventStore.stream: one statement under the read lock. */
  async stream(
    build: (q: Pick<QueryRunner, 'dialect' | 'events' | 'eventsFor'>) => { text: string; params: readonly SqlValue[] },
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void>,
  ): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const touched = new Set<Partition>();
      let sent = false;
      try {
        return await this.once((q) => {
          const { text, params } = build(q);
          return q.stream(text, params, (rows) => {
            sent = true;
            return onRows(rows);
          });
        }, touched);
      } catch (err) {
        // Rows already sent cannot be taken back: the file is set aside for the next request, this one fails.
        const setAside = attempt < MAX_QUARANTINE_RETRIES && (await setAsideAfter(this.parts, err, touched));
        if (!setAside || sent) throw err;
      }
    }
  }

  /** One attempt; `touched` collects the partitions whose files the statement may open. */
  private once<T>(fn: (q: QueryRunner) => Promise<T>, touched: Set<Partition>): Promise<T> {
    const { db, hot, partitions, lock } = this.parts;
    const touch = (parts: Partition[]) => {
      for (const p of parts) touched.add(p);
      return parts;
    };
    return lock.read(async () => {
      await hot.settle();
      const runner: QueryRunner = {
        dialect: duckdb,
        // Every site's files: built only for the rare caller that asks (start-up, tests).
        get events() {
          return eventsRelation(touch([...partitions.values()]));
        },
        eventsFor: (siteId, from, to) => eventsRelation(touch(partitions.ofSite(siteId, from, to)), { siteId, from, to }),
        eventsOf: (siteIds) => {
          const parts = touch(siteIds.flatMap((id) => partitions.ofSite(id)));
          // The hot tier holds every site's rows: only these sites' are kept.
          return `(SELECT * FROM ${eventsRelation(parts)} WHERE site_id IN (${siteIds.map(literal).join(', ') || 'NULL'}))`;
        },
        engagementFor: (siteId, from, to) =>
          eventsRelation(touch(partitions.ofSite(siteId, from, to)), { siteId, from, to }, 'engagement'),
        all: <R>(sql: string, params: readonly SqlValue[]) => this.limit(() => db.all<R>(sql, params as DuckDBValue[])),
        writeParquet: async (sql, params, path) => {
          await this.limit(() =>
            db.all(`COPY (${sql}) TO ${literal(path)} (FORMAT parquet, COMPRESSION zstd)`, params as DuckDBValue[]),
          );
        },
        derived: (siteId, from, to, fn) => {
          touch(partitions.ofSite(siteId, from, to));
          return this.derived(siteId, from, to, fn);
        },
        // DuckDB's streaming result, one chunk (~2048 rows) at a time, on a pooled connection.
        stream: (sql, params, onRows) =>
          db.with(async (c) => {
            const result = await c.stream(sql, params as DuckDBValue[]);
            let n = 0;
            for await (const rows of result.yieldRowsJs()) {
              n += rows.length;
              await onRows(rows);
            }
            return n;
          }),
      };
      return fn(runner);
    });
  }

  /**
   * See QueryRunner.derived. Under the read lock; holds the derived lock shared while `fn`
   * runs, so a rebuilt day's old files and cached rows stay until it is done. Derived
   * files have a lock of their own so that a long reader that does not use them (a stalled
   * export) never holds up their installation, nor, behind it, every other query.
   */
  private derived<T>(siteId: string, from: Date, to: Date, fn: (view: DerivedView) => Promise<T>): Promise<T> {
    return this.parts.derivedLock.read(async () => {
      const days = this.derivedDays(siteId, from, to);
      return fn({
        days,
        rollups: async (ds, sets, opts) => {
          const files = this.derivedFiles(siteId, ds, 'rollup');
          // The planner asks only for days `days` holds, whose files the derived lock keeps in place.
          if (opts?.files) return setsOfFiles(files, sets);
          await this.parts.rollupCache.ensure(files);
          return this.parts.rollupCache.relation(sets);
        },
        visits: (ds) =>
          `read_parquet([${this.derivedFiles(siteId, ds, 'visits')
            .map((f) => literal(f.path))
            .join(', ')}])`,
      });
    });
  }

  /** The site's days in [from, to) whose derived files are current and that have no hot rows. */
  private derivedDays(siteId: string, from: Date, to: Date): Set<string> {
    const days = new Set<string>();
    const deriver = this.parts.deriver;
    if (!deriver) return days;
    for (const p of this.parts.partitions.ofSite(siteId, from, to)) if (deriver.isCurrent(p)) days.add(p.date);
    for (const day of this.parts.hot.daysOf(siteId)) days.delete(day);
    return days;
  }

  /** The current derived files of a kind for the given days of a site (days derivedDays returned). */
  private derivedFiles(siteId: string, days: readonly string[], kind: 'visits' | 'rollup'): RollupFile[] {
    const deriver = this.parts.deriver;
    if (!deriver) return [];
    return days.flatMap((date) => {
      const p = this.parts.partitions.day(siteId, date);
      return p && deriver.isCurrent(p) ? [{ siteId, date, id: maxId(p), path: deriver.path(p, kind) }] : [];
    });
  }
}
