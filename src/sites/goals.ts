/**
 * A site's configured goals, persisted in the metadata database and held in memory (every
 * stats request of the site reads them). A goal is a custom event by name, or a page view by
 * path with `*` wildcards (docs/METRICS.md, "Goals"); one with a currency is a revenue goal.
 * Its display name is what stats call it (`event:goal`, the Goals panel) and is unique per site.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { conflict, invalidInput, notFound } from '../errors.js';
import { checkField as check } from '../field-path.js';
import type { MetadataDb } from '../storage/metadata.js';
import { WriteQueue } from './write-queue.js';

export interface Goal {
  id: string;
  siteId: string;
  /** Set for a custom-event goal (exactly one of eventName and pagePath is set). */
  eventName: string | null;
  /** Set for a page-view goal: a path, `*` matching any run of characters. */
  pagePath: string | null;
  displayName: string;
  /** ISO 4217 code of a revenue goal; null otherwise. */
  currency: string | null;
  createdAt: string;
}

export interface GoalInput {
  eventName?: string | null;
  pagePath?: string | null;
  displayName?: string | null;
  currency?: string | null;
}

export const MAX_GOALS_PER_SITE = 100;
/** The longest event name ingestion accepts (src/ingest/validate.ts). */
const EVENT_NAME_MAX = 120;
const PAGE_PATH_MAX = 2000;
const DISPLAY_NAME_MAX = 120;

export const goalFields = {
  eventName: z
    .string('must be a string')
    .trim()
    .min(1, 'must not be empty')
    .max(EVENT_NAME_MAX, `at most ${EVENT_NAME_MAX} characters`)
    .refine((v) => v !== 'pageview', 'page views are goals by page_path, not by event name')
    .refine((v) => v !== 'engagement', 'engagement events cannot be goals'),
  pagePath: z
    .string('must be a string')
    .trim()
    .max(PAGE_PATH_MAX, `at most ${PAGE_PATH_MAX} characters`)
    .startsWith('/', 'must start with /'),
  displayName: z
    .string('must be a string')
    .trim()
    .min(1, 'must not be empty')
    .max(DISPLAY_NAME_MAX, `at most ${DISPLAY_NAME_MAX} characters`),
  currency: z
    .string('must be a string')
    .transform((v) => v.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR')),
};

/** What a goal is called when no display name is given (as Plausible names them). */
export const defaultDisplayName = (g: Pick<Goal, 'eventName' | 'pagePath'>): string => g.eventName ?? `Visit ${g.pagePath ?? ''}`;

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));
const NONE: readonly Goal[] = Object.freeze([]);

export class GoalStore {
  /** site id → its goals, oldest first */
  private readonly bySite = new Map<string, readonly Goal[]>();
  private readonly writes = new WriteQueue();

  private constructor(private readonly db: MetadataDb) {}

  static async open(db: MetadataDb): Promise<GoalStore> {
    const store = new GoalStore(db);
    const rows = await db.all<Record<string, unknown>>(
      'SELECT id, site_id, event_name, page_path, display_name, currency, created_at FROM goals ORDER BY created_at, id',
    );
    for (const r of rows) {
      store.put({
        id: String(r.id),
        siteId: String(r.site_id),
        eventName: (r.event_name as string | null) ?? null,
        pagePath: (r.page_path as string | null) ?? null,
        displayName: String(r.display_name),
        currency: (r.currency as string | null) ?? null,
        createdAt: iso(r.created_at),
      });
    }
    return store;
  }

  /** The site's goals, oldest first; empty when it has none. */
  list(siteId: string): readonly Goal[] {
    return this.bySite.get(siteId) ?? NONE;
  }

  /**
   * Adds a goal: an event name or a page path (not both), an optional display name (unique
   * per site: 409) and currency (event goals only: revenue arrives with custom events).
   */
  async create(siteId: string, input: GoalInput): Promise<Goal> {
    const hasEvent = input.eventName != null;
    const hasPage = input.pagePath != null;
    if (hasEvent === hasPage) throw invalidInput('event_name or page_path: give exactly one of them');
    const eventName = hasEvent ? check(goalFields.eventName, input.eventName, 'event_name') : null;
    const pagePath = hasPage ? check(goalFields.pagePath, input.pagePath, 'page_path') : null;
    const currency = input.currency == null ? null : check(goalFields.currency, input.currency, 'currency');
    if (currency !== null && pagePath !== null) throw invalidInput('currency: only custom-event goals carry revenue');
    const displayName =
      input.displayName == null
        ? defaultDisplayName({ eventName, pagePath })
        : check(goalFields.displayName, input.displayName, 'display_name');
    return this.writes.run(async () => {
      const goals = this.list(siteId);
      if (goals.length >= MAX_GOALS_PER_SITE) throw invalidInput(`goals: a site has at most ${MAX_GOALS_PER_SITE}`);
      if (goals.some((g) => g.displayName === displayName)) throw conflict(`goal "${displayName}" already exists`);
      const same = goals.find((g) => g.eventName === eventName && g.pagePath === pagePath);
      if (same) throw conflict(`goal "${same.displayName}" already counts ${eventName ?? pagePath}`);
      const goal: Goal = {
        id: randomUUID(),
        siteId,
        eventName,
        pagePath,
        displayName,
        currency,
        createdAt: new Date().toISOString(),
      };
      await this.db.run('INSERT INTO goals VALUES ($1, $2, $3, $4, $5, $6, $7::TIMESTAMP)', [
        goal.id,
        siteId,
        eventName,
        pagePath,
        displayName,
        currency,
        goal.createdAt,
      ]);
      this.put(goal);
      return goal;
    });
  }

  /** Removes one of the site's goals; 404 when the site has no such goal. */
  remove(siteId: string, goalId: string): Promise<void> {
    return this.writes.run(async () => {
      if (!this.list(siteId).some((g) => g.id === goalId)) throw notFound('no such goal');
      await this.db.run('DELETE FROM goals WHERE id = $1 AND site_id = $2', [goalId, siteId]);
      this.bySite.set(
        siteId,
        this.list(siteId).filter((g) => g.id !== goalId),
      );
    });
  }

  /** Forgets a removed site's goals (the registry deletes their rows with the site). */
  forgetSite(siteId: string): void {
    this.bySite.delete(siteId);
  }

  private put(goal: Goal): void {
    this.bySite.set(goal.siteId, Object.freeze([...this.list(goal.siteId), Object.freeze(goal)]));
  }
}
