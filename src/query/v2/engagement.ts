/**
 * Engagement metrics of a v2 request (`time_on_page`, `scroll_depth`) for each row, grouped
 * by the request's dimensions (request.ts allows only those an engagement row has). One
 * statement (engagement.ts).
 */
import type { QueryRunner } from '../../storage/storage.js';
import { engagementKey, engagementParts } from '../engagement.js';
import { engagementValues } from '../metrics.js';
import type { ResultRow } from '../run.js';
import type { V2Plan } from './request.js';
import type { V2Engagement } from './shape.js';

export async function v2Engagement(q: QueryRunner, plan: V2Plan, rows: readonly ResultRow[]): Promise<V2Engagement> {
  const { siteId, period, filters, dimensions } = plan.query;
  const at = plan.dimensions.indexOf('event:page');
  const pages = at < 0 ? undefined : rows.map((r) => r.dimensions[at] ?? '');
  const parts = await engagementParts(q, { siteId, period, filters }, dimensions, pages);
  return (r) => engagementValues(parts.get(engagementKey(r.dimensions)));
}
