/**
 * Visitors and page views over time (uPlot), with the interval picker; when comparing, the
 * comparison's visitors as a dimmed dotted line, bucket i of the comparison drawn at bucket i
 * of the period (as the API pairs them). The chart box has
 * a fixed height so nothing moves when the data arrives; colours come from the CSS custom
 * properties, so it follows light and dark mode.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Params } from '../api.js';
import { count } from '../format.js';
import { html } from '../html.js';
import { defaultInterval, type Interval, intervalsFor } from '../period.js';
import { type DashQuery, setQuery, type View } from '../router.js';
import type { Bucket } from '../types.js';
import { useApi } from '../use-api.js';
import { Empty, ErrorNote } from './ui.js';

const HEIGHT = 240;
const LABELS: Record<Interval, string> = { minute: 'Minutes', hour: 'Hours', day: 'Days', week: 'Weeks', month: 'Months' };

/** "2026-01-10", "2026-01-10 13:00:00" or "2026-01-10 13:05:00" (the site's clock, shown as UTC) → Unix seconds. */
export const bucketTime = (date: string) =>
  Date.parse(date.length === 10 ? `${date}T00:00:00Z` : `${date.replace(' ', 'T')}Z`) / 1000;

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** The hovered bucket's name: "13:05", "20 Nov 2026, 13:00", "Week of 17 Nov 2026", "November 2026". */
function bucketName(ts: number, interval: Interval): string {
  const d = new Date(ts * 1000);
  const utc = { timeZone: 'UTC' } as const;
  if (interval === 'minute') return d.toLocaleTimeString(undefined, { ...utc, hour: '2-digit', minute: '2-digit' });
  if (interval === 'hour')
    return d.toLocaleString(undefined, { ...utc, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  if (interval === 'month') return d.toLocaleDateString(undefined, { ...utc, month: 'long', year: 'numeric' });
  const date = d.toLocaleDateString(undefined, { ...utc, day: 'numeric', month: 'short', year: 'numeric' });
  return interval === 'week' ? `Week of ${date}` : date;
}

/** The dates of the comparison's buckets beside the period's (null past its end), as they are now; null: no comparison. */
type PreviousDates = (() => readonly (string | null)[]) | null;

/** A tooltip in uPlot's overlay that follows the cursor (built with DOM calls: no HTML strings). */
function tooltip(interval: Interval, previousDates: PreviousDates): uPlot.Plugin {
  const tip = document.createElement('div');
  tip.className = 'chart-tip';
  tip.hidden = true;
  const line = (cls: string) => {
    const el = document.createElement(cls === 'when' ? 'strong' : 'span');
    el.className = cls;
    tip.append(el);
    return el;
  };
  const when = line('when');
  const visitors = line('key visitors');
  const pageviews = line('key pageviews');
  const previous = previousDates ? line('key previous') : null;
  return {
    hooks: {
      init: (u) => {
        u.over.append(tip);
      },
      setCursor: (u) => {
        const i = u.cursor.idx;
        const left = u.cursor.left ?? -1;
        if (i == null || left < 0) {
          tip.hidden = true;
          return;
        }
        tip.hidden = false;
        when.textContent = bucketName(u.data[0][i] ?? 0, interval);
        visitors.textContent = `Visitors ${count(u.data[1]?.[i] ?? 0)}`;
        pageviews.textContent = `Pageviews ${count(u.data[2]?.[i] ?? 0)}`;
        if (previous) {
          const date = previousDates?.()[i];
          previous.textContent = date
            ? `Visitors ${count(u.data[3]?.[i] ?? 0)} on ${bucketName(bucketTime(date), interval)}`
            : 'No comparison bucket';
        }
        const half = tip.offsetWidth / 2;
        tip.style.left = `${Math.min(Math.max(left, half), u.over.clientWidth - half)}px`;
      },
    },
  };
}

const M = 60;
const H = 3600;
const D = 24 * H;
/** uPlot's own tick steps (seconds; a month is its 30 days), from the bucket size up: no 12-hour ticks on a daily chart. */
const TICKS = [
  M,
  2 * M,
  5 * M,
  10 * M,
  15 * M,
  30 * M,
  H,
  2 * H,
  3 * H,
  4 * H,
  6 * H,
  8 * H,
  12 * H,
  D,
  2 * D,
  3 * D,
  4 * D,
  5 * D,
  6 * D,
  7 * D,
  14 * D,
  30 * D,
  60 * D,
  90 * D,
  120 * D,
  180 * D,
  365 * D,
];
const BUCKET_SECS: Record<Interval, number> = { minute: M, hour: H, day: D, week: 7 * D, month: 30 * D };

function options(width: number, interval: Interval, points: number, compared: PreviousDates): uPlot.Options {
  const text = cssVar('--muted');
  const grid = cssVar('--grid');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height: HEIGHT,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { y: false, drag: { x: false, y: false }, points: { size: 7 } },
    legend: { show: false },
    plugins: [tooltip(interval, compared)],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    series: [
      {},
      // Markers only when there are few points; the cursor marks the hovered one.
      { label: 'Visitors', stroke: cssVar('--accent'), fill: cssVar('--accent-fill'), width: 2, points: { show: points <= 14 } },
      { label: 'Pageviews', stroke: cssVar('--accent-2'), width: 2, dash: [5, 4], points: { show: points <= 14 } },
      ...(compared
        ? [
            {
              label: 'Visitors (comparison)',
              // The visitors' colour, dimmed and dotted.
              stroke: cssVar('--accent'),
              alpha: 0.45,
              width: 2,
              dash: [2, 3],
              points: { show: false },
            },
          ]
        : []),
    ],
    axes: [
      { ...axis, space: 60, incrs: TICKS.filter((t) => t >= BUCKET_SECS[interval]) },
      {
        ...axis,
        size: 48,
        incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7],
        values: (_u, ticks) => ticks.map((t) => count(t)),
      },
    ],
  };
}

const plotData = (buckets: Bucket[], compared: boolean): uPlot.AlignedData => [
  buckets.map((b) => bucketTime(b.date)),
  buckets.map((b) => b.visitors),
  buckets.map((b) => b.pageviews),
  ...(compared ? [buckets.map((b) => (b.previous ? b.previous.visitors : null))] : []),
];

/**
 * The uPlot chart: made once per interval and bucket count; new numbers of the same shape
 * (realtime's refreshes) only replace its data, so the chart and its tooltip stay put.
 */
function Plot({ buckets, interval, compare }: { buckets: Bucket[]; interval: Interval; compare: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(buckets);
  latest.current = buckets;
  const compared = compare && buckets.some((b) => b.previous !== undefined);
  const series = ['Visitors', 'Pageviews', ...(compared ? ['Visitors (comparison)'] : [])];
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const dates: PreviousDates = compared ? () => latest.current.map((b) => b.previous?.date ?? null) : null;
    const make = () =>
      new uPlot(options(el.clientWidth, interval, latest.current.length, dates), plotData(latest.current, compared), el);
    plot.current = make();
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: HEIGHT }));
    resize.observe(el);
    // A switch to or from dark mode repaints with the other palette.
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    const repaint = () => {
      plot.current?.destroy();
      plot.current = make();
    };
    scheme.addEventListener('change', repaint);
    return () => {
      scheme.removeEventListener('change', repaint);
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [interval, buckets.length, compared]);
  useEffect(() => {
    plot.current?.setData(plotData(buckets, compared));
  }, [buckets]);
  return html`<div class="plot" ref=${box} role="img" aria-label=${`${series.join(', ')} over time`}
    data-points=${buckets.length} data-series=${series.join(',')}></div>`;
}

export function Chart({ params, view, query }: { params: Params; view: View; query: DashQuery }) {
  const choices = intervalsFor(query);
  const interval = query.interval && choices.includes(query.interval) ? query.interval : defaultInterval(query);
  const ts = useApi<Bucket[]>('/api/stats/timeseries', { ...params, interval, compare: query.compare ?? undefined });
  const empty = ts.data?.every((b) => b.visitors === 0 && b.pageviews === 0);

  return html`<section class=${`card chart-card${ts.loading && ts.data ? ' stale' : ''}`} aria-labelledby="chart-title" aria-busy=${ts.loading}>
    <div class="card-head">
      <h2 id="chart-title">Visitors and pageviews${query.period === 'realtime' ? ', last 30 minutes' : ''}</h2>
      <p class="legend" aria-hidden="true"><span class="key visitors">Visitors</span><span class="key pageviews">Pageviews</span>${
        query.compare && html`<span class="key previous">Visitors (comparison)</span>`
      }</p>
      <div class="segmented" role="group" aria-label="Interval">
        ${choices.map(
          (i) => html`<button type="button" key=${i} aria-pressed=${i === interval}
            onClick=${() => setQuery(view, { ...query, interval: i })}>${LABELS[i]}</button>`,
        )}
      </div>
    </div>
    <div class="chart-box">
      ${ts.error && html`<${ErrorNote} message=${ts.error} retry=${ts.reload} />`}
      ${!ts.error && ts.data && (empty ? html`<${Empty}>No visitors in this period yet.<//>` : html`<${Plot} buckets=${ts.data} interval=${interval} compare=${query.compare !== null} />`)}
    </div>
  </section>`;
}
