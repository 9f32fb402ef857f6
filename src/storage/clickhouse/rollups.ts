/**
 * The ClickHouse form of the derived tier (docs/CLICKHOUSE.md, "Rollups"): each site's day
 * of events summed into the same rollup rows as the embedded store keeps (derived-tables.ts),
 * in the `rollups` table, so an overview reads a few hundred stored rows instead of
 * drawing visits over every event of its period.
 *
 * A build copies the day's events, with their visits drawn (visits.ts), into a scratch
 * table of its own, sums that into rollup rows under a fresh `build_id`, and records the
 * build in `derived_builds` with the number of rows the day held. A day is current while its
 * event count still equals its latest build's: an event shipped later (by this node or any
 * other, in any order) makes the counts differ, the day is scanned from events again, and
 * the node that shipped it builds the day anew once it has been quiet for `quietMs`.
 * Nothing is rewritten in place: rows of older builds are ignored, and deleted once no
 * query can still read them.
 *
 * The scratch table is what makes a build affordable: the rollup's statements over the
 * drawn events as a subquery took 0.2–2 s each to plan and run at 4 events (47 statements),
 * over a table 11–250 ms.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Dialect } from '../../query/dialect.js';
import { fragment, render, type Sql, serverText, sql } from '../../query/sql.js';
import { DAY_MS, utcDate } from '../../utc-days.js';
import { crashPoint } from '../crash-points.js';
import type { DerivedTables, DerivedView } from '../storage.js';
import type { ClickHouseConnection } from './connection.js';
import { chString, siteEvents } from './literals.js';
import { VISIT_ROW_COLUMNS } from './schema.js';
import { withVisits } from './visits.js';

/** The rollup row's columns after `site_id`, `day` and `build_id` (derived-tables.ts). */
const ROW_COLUMNS = 'dim, bucket, v0, v1, visitors, visits, pageviews, events, bounces, duration_ms';

/**
 * Rows of a replaced build stay this long before they are deleted: a query that picked the
 * older build just before the newer one was recorded still finds them (queries end within
 * the client's request timeout, 300 s).
 */
const KEEP_REPLACED_MS = 10 * 60_000;
/**
 * Rows of a build that is not its day's latest recorded one are deleted by the sweep once
 * the build is this old: a crash between a build's inserts and its record leaves such rows,
 * and so does a node that went away before deleting the rows its builds replaced. A build
 * still running (on any node) is younger.
 */
const ORPHAN_AGE_MS = 60 * 60_000;
/** The tables whose rows belong to a build (`build_id`); replaced, orphaned and expired rows go from each. */
const BUILT_TABLES = ['rollups', 'visits'] as const;
/** A failed build is tried again this much later (ClickHouse down or busy). */
const RETRY_MS = 60_000;
/** Every this often, days shipped by a node that went away unbuilt are found (also at start-up). */
const CATCH_UP_MS = 10 * 60_000;
const TICK_MS = 1_000;

export interface ClickHouseRollupsOptions {
  /** How long a day must go without new events before it is built. */
  quietMs: number;
  sessionTimeoutMs: number;
  log: Logger;
}

/** Build ids grow with time (ms in the high bits), so "rows of builds before this one" is a comparison. */
const newBuildId = () => (BigInt(Date.now()) << 20n) | BigInt(randomInt(1 << 20));

/** The events of one site's UTC day, as a SELECT. */
const dayEvents = (siteId: string, day: string) => {
  const from = new Date(`${day}T00:00:00Z`);
  return siteEvents(siteId, from, new Date(from.getTime() + DAY_MS));
};

const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC days lying wholly in [from, to). */
function wholeDays(from: Date, to: Date): string[] {
  const out: string[] = [];
  for (let t = Math.ceil(from.getTime() / DAY_MS) * DAY_MS; t + DAY_MS <= to.getTime(); t += DAY_MS) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

export class ClickHouseRollups {
  /** Site and day (`site\tday`) → when it last got events (0: found stale, build at once) or may be tried again. */
  private readonly due = new Map<string, number>();
  private readonly replaced: { siteId: string; day: string; keep: bigint; at: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private nextCatchUp = 0;
  /** Whether the stale days have been looked for since start-up (until then, how many is unknown). */
  private caughtUp = false;
  private failure: { message: string; since: Date } | null = null;

  /** Prefix of this node's scratch tables (`derive_<node>_<build id>`). */
  private readonly scratchPrefix: string;

  constructor(
    nodeId: string,
    private readonly conn: ClickHouseConnection,
    private readonly dialect: Dialect,
    private readonly tables: DerivedTables,
    private readonly opts: ClickHouseRollupsOptions,
  ) {
    this.scratchPrefix = `derive_${nodeId.replace(/[^A-Za-z0-9]/g, '')}_`;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => {
        this.running = null;
      });
    }, TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Shipped events of these sites and days: their rollups are stale until built again. */
  touched(days: Iterable<readonly [siteId: string, day: string]>): void {
    const now = Date.now();
    for (const [siteId, day] of days) this.due.set(`${siteId}\t${day}`, now);
  }

  /** Days waiting for a build, and one more until the first look for stale days is done. */
  get pending(): number {
    return this.due.size + (this.caughtUp ? 0 : 1);
  }

  /** Why builds fail, while they do. */
  get problem(): string | null {
    const f = this.failure;
    return f
      ? `since ${f.since.toISOString()}: building rollups fails (${f.message.slice(0, 200)}); queries scan events meanwhile`
      : null;
  }

  /**
   * The site's days in [from, to) whose rollups are current, and a relation of their rows.
   * A whole day without events is current too, with no rows: there is nothing to scan, and
   * a scan, even of nothing, costs a statement over the events (about 250 ms to plan at any
   * size here).
   */
  async view(siteId: string, from: Date, to: Date): Promise<DerivedView> {
    // Whole days' counts (the edge days of a zoned period too: the planner reads only days
    // wholly inside the period), in the form the day_counts projection answers (schema.ts).
    const first = utcDate(from);
    const last = utcDate(new Date(to.getTime() - 1));
    const rows = await this.all<{ day: string; build_id: bigint | null }>(
      sql`SELECT toString(e.day) AS day, if(e.n = b.n, b.build_id, NULL) AS build_id
      FROM (SELECT toDate(timestamp) AS day, count() AS n FROM events
        WHERE site_id = ${siteId} AND toDate(timestamp) >= toDate(${first}) AND toDate(timestamp) <= toDate(${last})
        GROUP BY day) e
      LEFT JOIN (SELECT day, argMax(build_id, built_at) AS build_id, argMax(events, built_at) AS n FROM derived_builds
        WHERE site_id = ${siteId} AND format = ${this.tables.format}
          AND day >= toDate(${first}) AND day <= toDate(${last}) GROUP BY day) b ON e.day = b.day`,
    );
    const withEvents = new Set(rows.map((r) => r.day));
    const builds = new Map<string, bigint>();
    for (const r of rows) if (r.build_id !== null && DAY_TEXT.test(r.day)) builds.set(r.day, BigInt(r.build_id));
    const days = new Set([...builds.keys(), ...wholeDays(from, to).filter((d) => !withEvents.has(d))]);
    /** The rows of these days' current builds. */
    const ofBuilds = (asked: readonly string[]) => {
      const pairs = asked.flatMap((d) => {
        const id = builds.get(d);
        return id === undefined ? [] : [`(DATE '${d}', ${id})`];
      });
      return `site_id = ${chString(siteId)} AND (day, build_id) IN (${pairs.length > 0 ? pairs.join(', ') : "(DATE '1970-01-01', 0)"})`;
    };
    return {
      days,
      rollups: async (asked, sets) =>
        `(SELECT site_id, day, ${ROW_COLUMNS} FROM rollups WHERE ${ofBuilds(asked)} AND dim IN (${sets.map(chString).join(', ')}))`,
      visits: (asked) => `(SELECT ${VISIT_ROW_COLUMNS} FROM visits WHERE ${ofBuilds(asked)})`,
    };
  }

  private async all<T>(query: Sql): Promise<T[]> {
    const { text, params } = render(query, this.dialect);
    return this.conn.all<T>(text, params);
  }

  private async command(query: Sql): Promise<void> {
    const { text, params } = render(query, this.dialect);
    await this.conn.command(text, params);
  }

  /** Builds the days that have been quiet long enough, one at a time; then deletes replaced rows. */
  private async tick(): Promise<void> {
    try {
      if (Date.now() >= this.nextCatchUp) {
        this.nextCatchUp = Date.now() + CATCH_UP_MS;
        await this.catchUp();
      }
      for (const [key, at] of [...this.due].sort((a, b) => a[1] - b[1])) {
        if (!this.timer) return;
        if (Date.now() - at < this.opts.quietMs) continue;
        const [siteId = '', day = ''] = key.split('\t');
        await this.build(siteId, day);
      }
      await this.deleteReplaced();
    } catch (err) {
      const message = (err as Error).message;
      if (!this.failure) this.failure = { message, since: new Date() };
      else this.failure.message = message;
      this.opts.log.warn({ err }, 'clickhouse: building rollups failed; queries scan events meanwhile');
    }
  }

  /**
   * Days whose latest build (of this format) counted another number of events than there
   * are now; this node's scratch tables a crash left behind; and rows no build owns (sweep).
   */
  private async catchUp(): Promise<void> {
    const left = await this.conn.all<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, {p1:String})',
      [this.scratchPrefix],
    );
    for (const { name } of left) await this.conn.command(`DROP TABLE IF EXISTS ${name}`);
    const stale = await this.all<{ site_id: string; day: string }>(
      sql`SELECT e.site_id AS site_id, toString(e.day) AS day
      FROM (SELECT site_id, toDate(timestamp) AS day, count() AS n FROM events GROUP BY site_id, day) e
      LEFT JOIN (SELECT site_id, day, argMax(events, built_at) AS n FROM derived_builds
        WHERE format = ${this.tables.format} GROUP BY site_id, day) b ON e.site_id = b.site_id AND e.day = b.day
      WHERE b.n IS NULL OR b.n != e.n`,
    );
    for (const r of stale) {
      const key = `${r.site_id}\t${r.day}`;
      if (!this.due.has(key)) this.due.set(key, 0);
    }
    await this.sweep();
    this.caughtUp = true;
  }

  /** Deletes the rows of builds older than ORPHAN_AGE_MS that are not their day's latest recorded build. */
  private async sweep(): Promise<void> {
    const before = BigInt(Date.now() - ORPHAN_AGE_MS) << 20n;
    for (const table of BUILT_TABLES) {
      const orphans = sql`FROM ${fragment(table)} WHERE build_id < ${before} AND (site_id, day, build_id) NOT IN
        (SELECT site_id, day, argMax(build_id, built_at) FROM derived_builds GROUP BY site_id, day)`;
      // A lightweight DELETE is a mutation of every part it may touch: only when there is something to delete.
      const [found] = await this.all<{ n: bigint }>(sql`SELECT count() AS n ${orphans}`);
      if (Number(found?.n ?? 0) > 0) await this.command(sql`DELETE ${orphans}`);
    }
  }

  private async eventsOn(siteId: string, day: string): Promise<bigint> {
    const [row] = await this.all<{ n: bigint }>(
      sql`SELECT count() AS n FROM events WHERE site_id = ${siteId} AND toDate(timestamp) = toDate(${day})`,
    );
    return BigInt(row?.n ?? 0);
  }

  /** One site's day: its rollup rows under a new build id, then the build's record. */
  private async build(siteId: string, day: string): Promise<void> {
    const key = `${siteId}\t${day}`;
    const touchedAt = this.due.get(key);
    const started = Date.now();
    const buildId = newBuildId();
    const scratch = `${this.scratchPrefix}${buildId}`;
    let counted = 0n;
    try {
      // The build is current while the day holds this many rows (engagement rows included, as
      // the day counts count them), counted before the copy: a row arriving in between is in
      // the build and not in the count, which only makes the day built once more.
      counted = await this.eventsOn(siteId, day);
      await this.conn.command(`CREATE TABLE ${scratch} ENGINE = MergeTree ORDER BY tuple()
        AS SELECT * FROM ${withVisits(dayEvents(siteId, day), this.opts.sessionTimeoutMs)}`);
      const visitRows = serverText(this.tables.visits(scratch), this.dialect);
      await this.conn.command(`INSERT INTO visits (site_id, day, build_id, ${VISIT_ROW_COLUMNS})
        SELECT ${chString(siteId)}, toDate(${chString(day)}), ${buildId}, ${VISIT_ROW_COLUMNS} FROM (${visitRows})`);
      // The rollup reads the visit rows just stored instead of grouping them again per statement.
      const visits = `(SELECT ${VISIT_ROW_COLUMNS} FROM visits
        WHERE site_id = ${chString(siteId)} AND day = toDate(${chString(day)}) AND build_id = ${buildId})`;
      for (const statement of this.tables.rollup(scratch, visits, siteId, day, this.dialect)) {
        await this.command(sql`INSERT INTO rollups (site_id, day, build_id, ${fragment(ROW_COLUMNS)})
          SELECT ${siteId}, toDate(${day}), ${buildId}, ${fragment(ROW_COLUMNS)} FROM (${statement})`);
        crashPoint('clickhouse.rollups-inserted');
      }
      await this.command(sql`INSERT INTO derived_builds (site_id, day, format, build_id, events, built_at)
        SELECT ${siteId}, toDate(${day}), ${this.tables.format}, ${buildId}, ${counted}, now64(3)`);
    } catch (err) {
      this.due.set(key, Date.now() + RETRY_MS - this.opts.quietMs);
      throw err;
    } finally {
      await this.conn.command(`DROP TABLE IF EXISTS ${scratch}`).catch(() => undefined);
    }
    this.failure = null;
    this.opts.log.info({ site_id: siteId, day, events: Number(counted), ms: Date.now() - started }, 'clickhouse: rollups built');
    this.replaced.push({ siteId, day, keep: buildId, at: Date.now() });
    // Events that arrived while it ran (touched again, or counted differently) need another build.
    if (this.due.get(key) === touchedAt && (await this.eventsOn(siteId, day)) === counted) this.due.delete(key);
  }

  /** Drops the rollups of days before `cutoff` (`YYYY-MM-DD`), whose events retention deleted. */
  async forgetBefore(cutoff: string): Promise<void> {
    for (const key of this.due.keys()) if ((key.split('\t')[1] ?? '') < cutoff) this.due.delete(key);
    for (const table of [...BUILT_TABLES, 'derived_builds']) {
      await this.command(sql`DELETE FROM ${fragment(table)} WHERE day < toDate(${cutoff})`);
    }
  }

  /** Drops a removed site's rollups and visits, and its builds still due. */
  async forgetSite(siteId: string): Promise<void> {
    for (const key of this.due.keys()) if (key.split('\t')[0] === siteId) this.due.delete(key);
    for (const table of [...BUILT_TABLES, 'derived_builds']) {
      await this.command(sql`DELETE FROM ${fragment(table)} WHERE site_id = ${siteId}`);
    }
  }

  /** Rows of builds replaced long enough ago that no query still reads them. */
  private async deleteReplaced(): Promise<void> {
    while (this.replaced.length > 0 && (this.replaced[0]?.at ?? 0) + KEEP_REPLACED_MS <= Date.now()) {
      const r = this.replaced.shift();
      if (!r) break;
      for (const table of BUILT_TABLES) {
        await this.command(
          sql`DELETE FROM ${fragment(table)} WHERE site_id = ${r.siteId} AND day = toDate(${r.day}) AND build_id < ${r.keep}`,
        );
      }
    }
  }
}
