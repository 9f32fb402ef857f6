/**
 * Engagement metrics of a v2 request (`time_on_page`, `scroll_depth`): per row of an
 * `event:page` dimension, or, without dimensions, over the pages the filters pick
 * (request.ts allows nothing else). One statement (engagement.ts).
 */
import type { QueryRunner } from '../../storage/storage.js';
import { engagementParts } from '../engagement.js';
import { engagementValues } from '../metrics.js';
import type { ResultRow } from '../run.js';
import type { V2Plan } from './request.js';
import type { V2Engagement } from './shape.js';

export async function v2Engagement(q: QueryRunner, plan: V2Plan, rows: readonly ResultRow[]): Promise<V2Engagement> {
  const at = plan.dimensions.indexOf('event:page');
  const { siteId, period, filters } = plan.query;
  const scope = { siteId, period, filters };
  if (at < 0) {
    const all = engagementValues((await engagementParts(q, scope, { byPage: false })).get(''));
    return () => all;
  }
  const parts = await engagementParts(q, scope, { byPage: true, pages: rows.map((r) => r.dimensions[at] ?? '') });
  return (r) => engagementValues(parts.get(r.dimensions[at] ?? ''));
}
