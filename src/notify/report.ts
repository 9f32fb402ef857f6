/**
 * A site's e-mail report for a period (docs/API.md, "Reports and alerts"): the headline
 * numbers beside the previous period of the same length with their change, and the top
 * pages and sources. The numbers come from the same query functions as the dashboard's
 * (query/stats.ts, compare.ts), so a report says what the dashboard says for those dates.
 */
import { compareMain } from '../query/compare.js';
import { resolveComparison, resolveSitePeriod, wallClock } from '../query/period.js';
import { type BreakdownRow, breakdown, type Scope } from '../query/stats.js';
import type { QueryRunner } from '../storage/storage.js';
import type { Message } from './mailer.js';
import type { ReportPeriod } from './periods.js';

const TOP = 5;

export interface ReportNumbers {
  rows: { label: string; value: string; change: string }[];
  pages: BreakdownRow[];
  sources: BreakdownRow[];
  previous: { start_date: string; end_date: string };
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export async function reportNumbers(
  q: QueryRunner,
  siteId: string,
  tz: string | null,
  period: ReportPeriod,
): Promise<ReportNumbers> {
  const current = resolveSitePeriod({ start_date: period.start_date, end_date: period.end_date }, tz);
  const against = resolveComparison({ compare: 'previous_period' }, current);
  if (!against) throw new Error('previous_period always resolves');
  const scope: Scope = { siteId, period: current, filters: [] };
  const m = await compareMain(q, scope, against);
  const pct = (c: number | null | undefined) => (c == null ? 'new' : `${c > 0 ? '+' : ''}${c}%`);
  const pts = (c: number | null | undefined) => (c == null ? '–' : `${c > 0 ? '+' : ''}${c} pts`);
  const wall = (d: Date) => (tz ? wallClock(d, tz) : d);
  return {
    rows: [
      { label: 'Unique visitors', value: String(m.unique_visitors), change: pct(m.change.unique_visitors) },
      { label: 'Visits', value: String(m.visits), change: pct(m.change.visits) },
      { label: 'Page views', value: String(m.total_pageviews), change: pct(m.change.total_pageviews) },
      { label: 'Bounce rate', value: `${Math.round(m.bounce_rate * 100)}%`, change: pts(m.change.bounce_rate) },
      { label: 'Visit duration', value: duration(m.avg_visit_duration_secs), change: pct(m.change.avg_visit_duration_secs) },
    ],
    pages: (await breakdown(q, scope, 'pages', TOP, 1)) as BreakdownRow[],
    sources: (await breakdown(q, scope, 'sources', TOP, 1)) as BreakdownRow[],
    previous: { start_date: day(wall(against.from)), end_date: day(new Date(wall(against.to).getTime() - 86_400_000)) },
  };
}

function duration(secs: number): string {
  const m = Math.floor(secs / 60);
  return m > 0 ? `${m}m ${secs % 60}s` : `${secs}s`;
}

/** Paths and sources come from visitors' requests: never markup in a mail. */
const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function reportMessage(siteId: string, period: ReportPeriod, n: ReportNumbers, to: readonly string[]): Message {
  const title = `${period.kind === 'weekly' ? 'Weekly' : 'Monthly'} report for ${siteId}`;
  const dates = `${period.start_date} – ${period.end_date}`;
  const versus = `compared with ${n.previous.start_date} – ${n.previous.end_date}`;
  const tops: [string, BreakdownRow[]][] = [
    ['Top pages', n.pages],
    ['Top sources', n.sources],
  ];
  const text = [
    `${title}`,
    `${dates} (${versus})`,
    '',
    ...n.rows.map((r) => `${r.label.padEnd(16)}${r.value.padStart(10)}  (${r.change})`),
    ...tops.flatMap(([name, rows]) => [
      '',
      name,
      ...(rows.length === 0 ? ['  none'] : rows.map((r) => `  ${r.value.padEnd(40)}${String(r.visitors).padStart(8)} visitors`)),
    ]),
    '',
  ].join('\n');
  const table = (rows: BreakdownRow[]) =>
    rows.length === 0
      ? '<p>none</p>'
      : `<table>${rows.map((r) => `<tr><td>${escapeHtml(r.value)}</td><td align="right">${r.visitors}</td></tr>`).join('')}</table>`;
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h1 style="font-size:18px">${escapeHtml(title)}</h1>
<p>${dates} (${versus})</p>
<table>${n.rows.map((r) => `<tr><td>${r.label}</td><td align="right"><b>${escapeHtml(r.value)}</b></td><td>${escapeHtml(r.change)}</td></tr>`).join('')}</table>
${tops.map(([name, rows]) => `<h2 style="font-size:15px">${name}</h2>${table(rows)}`).join('\n')}
</body></html>`;
  return { to, subject: `${title}: ${dates}`, text, html };
}
