/**
 * The bar above the data: period picker (with a custom range), comparison picker, realtime
 * visitors, CSV export, and the active filters as removable chips.
 */
import { useEffect, useState } from 'preact/hooks';
import { apiUrl, type Params } from '../api.js';
import { type Filter, filterLabel } from '../filters.js';
import { count } from '../format.js';
import { html } from '../html.js';
import { addDays, isDate, PERIODS, type PeriodId, todayUtc } from '../period.js';
import { COMPARISONS, type Comparison, type DashQuery, setQuery, type View } from '../router.js';
import { useApi } from '../use-api.js';

export function PeriodPicker({ view, query }: { view: View; query: DashQuery }) {
  const [custom, setCustom] = useState(query.period === 'custom');
  const [from, setFrom] = useState(query.from ?? addDays(todayUtc(), -6));
  const [to, setTo] = useState(query.to ?? todayUtc());
  useEffect(() => {
    setCustom(query.period === 'custom');
    if (query.from) setFrom(query.from);
    if (query.to) setTo(query.to);
  }, [query.period, query.from, query.to]);

  const choose = (e: Event) => {
    const period = (e.target as HTMLSelectElement).value as PeriodId;
    if (period === 'custom') return setCustom(true);
    setCustom(false);
    // A new period has its own sensible chart interval.
    setQuery(view, { ...query, period, from: undefined, to: undefined, interval: undefined });
  };
  const apply = (e: Event) => {
    e.preventDefault();
    if (!isDate(from) || !isDate(to) || from > to) return;
    setQuery(view, { ...query, period: 'custom', from, to, interval: undefined });
  };
  const bad = !isDate(from) || !isDate(to) || from > to;

  return html`<div class="period">
    <label>
      <span class="visually-hidden">Period</span>
      <select name="period" value=${custom ? 'custom' : query.period} onChange=${choose}>
        ${PERIODS.map((p) => html`<option key=${p.id} value=${p.id}>${p.label}</option>`)}
      </select>
    </label>
    ${
      custom &&
      html`<form class="custom-range" onSubmit=${apply}>
        <label><span class="visually-hidden">From</span>
          <input type="date" name="from" value=${from} max=${to} onInput=${(e: Event) => setFrom((e.target as HTMLInputElement).value)} />
        </label>
        <span aria-hidden="true">–</span>
        <label><span class="visually-hidden">To</span>
          <input type="date" name="to" value=${to} min=${from} onInput=${(e: Event) => setTo((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="secondary small" disabled=${bad}>Apply</button>
      </form>`
    }
  </div>`;
}

const COMPARE_LABELS: Record<Comparison, string> = {
  previous_period: 'Previous period',
  year_over_year: 'Year over year',
};

/** Off, the previous period, or the same dates a year earlier: top stats, chart and rows then show the change. */
export function CompareToggle({ view, query }: { view: View; query: DashQuery }) {
  const choose = (e: Event) => {
    const v = (e.target as HTMLSelectElement).value;
    setQuery(view, { ...query, compare: (COMPARISONS as readonly string[]).includes(v) ? (v as Comparison) : null });
  };
  return html`<label class="compare">
    <span class="visually-hidden">Compare</span>
    <select name="compare" value=${query.compare ?? ''} onChange=${choose}>
      <option value="">No comparison</option>
      ${COMPARISONS.map((c) => html`<option key=${c} value=${c}>Compare: ${COMPARE_LABELS[c]}</option>`)}
    </select>
  </label>`;
}

/** After the panels: a browser has six connections per server, and the panels need them first. */
const REALTIME_DELAY_MS = 1000;

/** How often "current visitors" asks again outside realtime mode (there, with every panel). */
const CURRENT_VISITORS_REFRESH_MS = 30_000;

/** "Current visitors"; `refreshMs` (realtime mode) asks as often as the panels do. */
export function Realtime({ siteId, refreshMs = 0 }: { siteId: string; refreshMs?: number }) {
  const [due, setDue] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setDue(true), REALTIME_DELAY_MS);
    return () => clearTimeout(timer);
  }, []);
  const rt = useApi<{ visitors: number }>(
    due ? '/api/stats/realtime' : null,
    { site_id: siteId },
    refreshMs || CURRENT_VISITORS_REFRESH_MS,
  );
  const n = rt.data?.visitors;
  return html`<p class="realtime" title="Visitors in the last 5 minutes" aria-live="polite">
    <span class=${`pulse${n ? ' live' : ''}`} aria-hidden="true"></span>
    <span class="realtime-count">${n === undefined ? '–' : count(n)}</span>
    ${n === 1 ? ' current visitor' : ' current visitors'}
  </p>`;
}

export function ExportLink({ params }: { params: Params }) {
  return html`<a class="button secondary small" href=${apiUrl('/api/stats/export', { ...params, format: 'csv' })} download
    title="Daily visitors, visits, pageviews, bounce rate and duration for this period and these filters">Export CSV</a>`;
}

export function FilterChips({ view, query }: { view: View; query: DashQuery }) {
  if (query.filters.length === 0) return null;
  const remove = (f: Filter) => setQuery(view, { ...query, filters: query.filters.filter((x) => x !== f) });
  return html`<div class="chips" aria-label="Filters">
    ${query.filters.map((f, i) => {
      const label = filterLabel(f);
      return html`<span class="chip" key=${i}>
        <span>${label}</span>
        <button type="button" class="chip-remove" aria-label=${`Remove filter: ${label}`} onClick=${() => remove(f)}>×</button>
      </span>`;
    })}
    ${query.filters.length > 1 && html`<button type="button" class="link small" onClick=${() => setQuery(view, { ...query, filters: [] })}>Clear all</button>`}
  </div>`;
}
