/** The six headline numbers, each with its change against the comparison period when comparing. */
import type { Params } from '../api.js';
import { count, decimal, duration, fractionPercent, money } from '../format.js';
import { html } from '../html.js';
import type { Comparison } from '../router.js';
import type { ImportsNote, MainAnswer, MainStats } from '../types.js';
import { useApi } from '../use-api.js';
import { importSource } from './imports.js';
import { ErrorNote } from './ui.js';

const STATS: readonly { key: keyof MainStats; label: string; format: (n: number) => string; lowerIsBetter?: boolean }[] = [
  { key: 'unique_visitors', label: 'Unique visitors', format: count },
  { key: 'visits', label: 'Total visits', format: count },
  { key: 'total_pageviews', label: 'Total pageviews', format: count },
  { key: 'views_per_visit', label: 'Views per visit', format: decimal },
  { key: 'bounce_rate', label: 'Bounce rate', format: fractionPercent, lowerIsBetter: true },
  { key: 'avg_visit_duration_secs', label: 'Visit duration', format: duration },
];

/** A change as an arrow and a number: percent, or points for a rate (`unit`); null: nothing to compare with. */
export function Change({
  change,
  lowerIsBetter,
  previous,
  unit = '%',
}: {
  change: number | null | undefined;
  lowerIsBetter?: boolean;
  previous: string;
  unit?: string;
}) {
  if (change === undefined) return null;
  if (change === null) return html`<span class="change" title=${`Compared with: ${previous}`}>new</span>`;
  const dir = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
  const good = change === 0 ? '' : change > 0 !== Boolean(lowerIsBetter) ? ' good' : ' bad';
  const arrow = dir === 'up' ? '↑' : dir === 'down' ? '↓' : '→';
  const text = `${Math.abs(change).toLocaleString(undefined, { maximumFractionDigits: 1 })}${unit}`;
  return html`<span class=${`change ${dir}${good}`} title=${`Compared with: ${previous}`}>
    <span aria-hidden="true">${arrow}</span>
    <span class="visually-hidden">${dir === 'up' ? 'up' : dir === 'down' ? 'down' : 'unchanged'} </span><span class="change-value">${text}</span>
  </span>`;
}

const REVENUE = [
  { key: 'total_revenue', label: 'Total revenue' },
  { key: 'average_revenue', label: 'Average revenue' },
] as const;

/** A revenue headline, shown when the filters keep revenue goals of one currency. */
function RevenueStat({ def, d, compare }: { def: (typeof REVENUE)[number]; d: MainAnswer; compare: Comparison | null }) {
  const currency = d.currency ?? '';
  const shown = (v: number | null | undefined) => (v == null ? '–' : money(v, currency));
  return html`<div class="stat" data-stat=${def.key}>
    <dt>${def.label}</dt>
    <dd>
      <span class="stat-value">${shown(d[def.key])}</span>
      ${compare && d.change && html`<${Change} change=${d.change[def.key]} previous=${shown(d.previous?.[def.key])} />`}
    </dd>
  </div>`;
}

export function TopStats({ params, compare }: { params: Params; compare: Comparison | null }) {
  const main = useApi<MainAnswer>('/api/stats/main', { ...params, compare: compare ?? undefined });
  const d = main.data;
  return html`<section class=${`card top-stats${main.loading && d ? ' stale' : ''}`} aria-label="Top stats" aria-busy=${main.loading}>
    ${main.error && html`<${ErrorNote} message=${main.error} retry=${main.reload} />`}
    <dl class="stats">
      ${STATS.map(
        (s) => html`<div class="stat" key=${s.key} data-stat=${s.key}>
          <dt>${s.label}</dt>
          <dd>
            <span class="stat-value">${d ? s.format(d[s.key]) : '–'}</span>
            ${
              compare &&
              d?.change &&
              html`<${Change}
                change=${d.change[s.key]}
                lowerIsBetter=${s.lowerIsBetter}
                unit=${s.key === 'bounce_rate' ? ' pts' : '%'}
                previous=${d.previous ? s.format(d.previous[s.key]) : '–'}
              />`
            }
          </dd>
        </div>`,
      )}
      ${d?.currency !== undefined && REVENUE.map((r) => html`<${RevenueStat} key=${r.key} def=${r} d=${d} compare=${compare} />`)}
    </dl>
    ${d?.imports && html`<${ImportsLine} note=${d.imports} />`}
  </section>`;
}

/** Whether the numbers include imported data (which), or why they leave it out. */
function ImportsLine({ note }: { note: ImportsNote }) {
  if (!note.included) return note.warning ? html`<p class="imports-note muted small">${note.warning}.</p>` : null;
  const which = note.imports.map((i) => `${importSource(i.source)}, ${i.start_date} – ${i.end_date}`).join('; ');
  return html`<p class="imports-note muted small">Includes imported data (${which})</p>`;
}
