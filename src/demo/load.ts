/**
 * Loads the demo site: registers `demo.example` marked as demo, its goals through the goals
 * registry, and its generated month of traffic (generate.ts) through the ingest pipeline
 * and the store's log, as POST /api/events stores a batch: validated, enriched (User-Agent,
 * referrer, UTM), sessionized and durable before the answer.
 *
 * Countries: the demo's addresses are made up, so no GeoIP database could place them; the
 * pipeline is given the demo's own lookup (its address → place table) in place of the
 * server's. Only this loader builds such a pipeline: a request's events are always placed
 * by the server's lookup, so no client can choose its country.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { conflict } from '../errors.js';
import { NO_GEO } from '../ingest/enrich/geo.js';
import { Drop } from '../ingest/event.js';
import { type PipelineDeps, processEvent } from '../ingest/pipeline.js';
import { validateEvent } from '../ingest/validate.js';
import { raw, render, sql } from '../query/sql.js';
import type { GoalStore } from '../sites/goals.js';
import type { SiteRegistry } from '../sites/registry.js';
import type { StoredRow } from '../storage/columns.js';
import type { EventStore } from '../storage/storage.js';
import { DEMO_GOALS, DEMO_SEED, DEMO_SITE, generateDemo } from './generate.js';

export interface DemoDeps {
  registry: SiteRegistry;
  goals: GoalStore;
  store: EventStore;
  /** The server's pipeline (its secret, sessions, metrics); the demo swaps in its own geo lookup. */
  pipeline: PipelineDeps;
  now?: () => number;
}

export interface DemoLoaded {
  site_id: string;
  seed: number;
  /** Epoch ms: the generated traffic ends here (generateDemo's `until`). */
  until: number;
  /** Events generated and stored (rows: one per event). */
  events: number;
  ms: number;
}

/** Events appended at a time, with a turn of the event loop between slices (as a batch does). */
const SLICE = 2000;

/** Whether the store holds any event of the site (left by a removal that kept them, say). */
async function hasEvents(store: EventStore, siteId: string): Promise<boolean> {
  const rows = await store.read((q) => {
    const { text, params } = render(
      sql`SELECT count(*) AS n FROM (SELECT 1 FROM ${raw(q.eventsFor(siteId))} WHERE site_id = ${siteId} LIMIT 1) AS found`,
      q.dialect,
    );
    return q.all<{ n: bigint | number | string }>(text, params);
  });
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Loads the demo once: 409 when the site exists (demo or not) or events of it are stored,
 * so running it twice never doubles the data; remove the demo site first to load it again.
 */
export async function loadDemo(deps: DemoDeps): Promise<DemoLoaded> {
  const started = performance.now();
  const existing = deps.registry.get(DEMO_SITE);
  if (existing?.demo) throw conflict(`the demo site ${DEMO_SITE} is already loaded; remove it first to load it again`);
  if (existing) throw conflict(`a site ${DEMO_SITE} exists and is not the demo; the demo needs that name`);
  if (await hasEvents(deps.store, DEMO_SITE)) {
    throw conflict(`events of ${DEMO_SITE} are stored; the demo would add to them`);
  }

  const until = (deps.now ?? Date.now)();
  const { events, places } = generateDemo(DEMO_SEED, until);
  await deps.registry.create({ id: DEMO_SITE, demo: true });
  for (const g of DEMO_GOALS) {
    await deps.goals.create(DEMO_SITE, { eventName: g.event_name, pagePath: g.page_path, currency: g.currency });
  }

  const pipeline: PipelineDeps = {
    ...deps.pipeline,
    geo: { lookup: (ip) => places.get(ip) ?? NO_GEO },
    sessions: deps.pipeline.sessions.forBatch(),
  };
  const origin = { ip: '', userAgent: '', batch: true };
  let stored = 0;
  for (let i = 0; i < events.length; i += SLICE) {
    const rows: StoredRow[] = [];
    for (const input of events.slice(i, i + SLICE)) {
      const result = processEvent(validateEvent(input, { batch: true }), origin, pipeline, until);
      // The generator makes only events the pipeline keeps: a drop is a bug, not traffic.
      if (result instanceof Drop) throw new Error(`demo event dropped: ${result.message}`);
      rows.push(...result);
    }
    await deps.store.append(rows);
    stored += rows.length;
    await nextTurn();
  }
  return { site_id: DEMO_SITE, seed: DEMO_SEED, until, events: stored, ms: Math.round(performance.now() - started) };
}
