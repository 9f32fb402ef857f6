/**
 * Breakdown panels (pages, sources, locations, devices, goals, custom properties), each
 * with tabs. A row is a button: clicking it filters the whole dashboard by that value
 * (the panel's dimension, Plausible v2 names); when comparing, each shows the change of
 * its visitors against the same value in the comparison. Ten rows are shown in a box of fixed
 * height; "Show more" loads up to 100. The properties panel first lists the keys seen in
 * the period (GET /api/stats/property-keys); picking one shows its values.
 */
import { useState } from 'preact/hooks';
import type { Params } from '../api.js';
import { type Filter, simple, valueLabel, withFilter } from '../filters.js';
import { count, duration, money, percent } from '../format.js';
import { html } from '../html.js';
import { type DashQuery, setQuery, type View } from '../router.js';
import type { BreakdownRow } from '../types.js';
import { useApi } from '../use-api.js';
import { Change } from './top-stats.js';
import { Empty, ErrorNote, Skeleton } from './ui.js';

type Column = 'pageviews' | 'percentage' | 'events' | 'conversion_rate' | 'time_on_page' | 'scroll_depth';

export interface TabDef {
  id: string;
  label: string;
  /** `/api/stats/breakdown/<path>` */
  path: string;
  /** The filter dimension a row click sets. */
  dim: string;
  /** Column header of the values. */
  name: string;
  columns: Column[];
  /** Columns shown only when some row has a value in them (engagement: sites whose script reports it). */
  optional?: Column[];
  /** Filters for a row value, when one value names two dimensions ("Chrome 120.0"). */
  filters?: (value: string) => [dim: string, value: string][];
}

const tab = (id: string, label: string, dim: string, name: string, columns: Column[] = ['percentage']): TabDef => ({
  id,
  label,
  path: id,
  dim,
  name,
  columns,
});

/** "Mobile Safari 17.2" → browser "Mobile Safari", version "17.2". */
const browserVersion = (value: string): [string, string][] => {
  const cut = value.lastIndexOf(' ');
  return cut < 0
    ? [['visit:browser_version', value]]
    : [
        ['visit:browser', value.slice(0, cut)],
        ['visit:browser_version', value.slice(cut + 1)],
      ];
};

export const PANELS: readonly { id: string; title: string; tabs: TabDef[] }[] = [
  {
    id: 'pages',
    title: 'Pages',
    tabs: [
      { ...tab('pages', 'Top pages', 'event:page', 'Page', ['pageviews']), optional: ['time_on_page', 'scroll_depth'] },
      tab('entry-pages', 'Entry pages', 'visit:entry_page', 'Entry page'),
      tab('exit-pages', 'Exit pages', 'visit:exit_page', 'Exit page'),
    ],
  },
  {
    id: 'sources',
    title: 'Sources',
    tabs: [
      tab('sources', 'Sources', 'visit:source', 'Source'),
      tab('referrers', 'Referrers', 'visit:referrer', 'Referrer'),
      tab('channels', 'Channels', 'visit:channel', 'Channel'),
      tab('utm-source', 'UTM source', 'visit:utm_source', 'UTM source'),
      tab('utm-medium', 'UTM medium', 'visit:utm_medium', 'UTM medium'),
      tab('utm-campaign', 'UTM campaign', 'visit:utm_campaign', 'UTM campaign'),
    ],
  },
  {
    id: 'locations',
    title: 'Locations',
    tabs: [
      tab('countries', 'Countries', 'visit:country', 'Country'),
      tab('regions', 'Regions', 'visit:region', 'Region'),
      tab('cities', 'Cities', 'visit:city', 'City'),
    ],
  },
  {
    id: 'devices',
    title: 'Devices',
    tabs: [
      tab('browsers', 'Browsers', 'visit:browser', 'Browser'),
      { ...tab('browser-versions', 'Versions', 'visit:browser_version', 'Browser version'), filters: browserVersion },
      tab('os', 'OS', 'visit:os', 'Operating system'),
      tab('devices', 'Devices', 'visit:device', 'Device'),
      tab('screen-sizes', 'Screens', 'visit:screen', 'Screen size'),
    ],
  },
];

export const GOALS: TabDef = tab('events', 'Goals', 'event:goal', 'Goal', ['events', 'conversion_rate']);

const HEADERS: Record<Column, string> = {
  pageviews: 'Pageviews',
  percentage: '%',
  events: 'Events',
  conversion_rate: 'CR',
  time_on_page: 'Time on page',
  scroll_depth: 'Scroll depth',
};
const ROWS = 10;

function cell(row: BreakdownRow, c: Column): string {
  const v = row[c];
  if (v === undefined || v === null) return '–';
  if (c === 'time_on_page') return duration(v);
  if (c === 'scroll_depth') return `${v}%`;
  return c === 'percentage' || c === 'conversion_rate' ? percent(v) : count(v);
}

/** The rows of one breakdown, as filter buttons, in a box of fixed height. */
function Rows({ def, params, view, query }: { def: TabDef; params: Params; view: View; query: DashQuery }) {
  const [more, setMore] = useState(false);
  const limit = more ? 100 : ROWS;
  const rows = useApi<BreakdownRow[]>(`/api/stats/breakdown/${def.path}`, {
    ...params,
    limit: limit + 1,
    compare: query.compare ?? undefined,
  });
  const list = rows.data?.slice(0, limit);
  // Revenue goals bring a column of their own (each row in its goal's currency).
  const revenue = list?.some((r) => r.currency !== undefined) === true;
  const max = Math.max(1, ...(list ?? []).map((r) => r.visitors));
  const columns = [...def.columns, ...(def.optional ?? []).filter((c) => list?.some((r) => r[c] !== undefined && r[c] !== null))];

  const filter = (value: string) => {
    let filters: Filter[] = query.filters;
    for (const [dim, v] of def.filters?.(value) ?? [[def.dim, value]]) filters = withFilter(filters, dim, v);
    setQuery(view, { ...query, filters });
  };
  const active = (value: string) =>
    query.filters.some((f) => {
      const s = simple(f);
      return s?.[0] === 'is' && s[1] === def.dim && s[2].includes(value);
    });

  return html`<div class=${`rows-box${more ? ' expanded' : ''}${rows.loading && rows.data ? ' stale' : ''}`} aria-busy=${rows.loading}>
    <div class="row-head" aria-hidden="true">
      <span>${def.name}</span><span>Visitors</span>${columns.map((c) => html`<span key=${c}>${HEADERS[c]}</span>`)}
      ${revenue && html`<span>Revenue</span>`}
      ${query.compare && html`<span>Change</span>`}
    </div>
    ${rows.error && html`<${ErrorNote} message=${rows.error} retry=${rows.reload} />`}
    ${!rows.data && !rows.error && html`<${Skeleton} rows=${5} />`}
    ${list && list.length === 0 && html`<${Empty}>No data for this period.<//>`}
    ${
      list &&
      list.length > 0 &&
      html`<ul class="rows">
        ${list.map((r) => {
          const label = valueLabel(def.dim, r.value);
          return html`<li key=${r.value}>
            <button type="button" class=${`row${active(r.value) ? ' active' : ''}`} onClick=${() => filter(r.value)}
              title=${`Filter by ${def.name.toLowerCase()}: ${label}`}>
              <span class="bar" style=${{ width: `${(r.visitors / max) * 100}%` }}></span>
              <span class="row-label">${label}</span>
              <span class="num" data-col="visitors">${count(r.visitors)}</span>
              ${columns.map((c) => html`<span class="num" key=${c} data-col=${c}>${cell(r, c)}</span>`)}
              ${
                revenue &&
                html`<span class="num" data-col="revenue" title=${r.average_revenue == null ? '' : `average ${money(r.average_revenue, r.currency ?? '')}`}>
                  ${r.currency === undefined ? '–' : money(r.total_revenue ?? 0, r.currency)}</span>`
              }
              ${
                query.compare &&
                r.change &&
                html`<span class="num" data-col="change">
                  <${Change} change=${r.change.visitors} previous=${`${count(r.previous?.visitors ?? 0)} visitors`} />
                </span>`
              }
            </button>
          </li>`;
        })}
      </ul>`
    }
    ${
      rows.data &&
      (rows.data.length > limit || more) &&
      html`<button type="button" class="link small more" onClick=${() => setMore(!more)}>${more ? 'Show fewer' : 'Show more'}</button>`
    }
  </div>`;
}

export function BreakdownPanel({
  id,
  title,
  tabs,
  params,
  view,
  query,
}: {
  id: string;
  title: string;
  tabs: TabDef[];
  params: Params;
  view: View;
  query: DashQuery;
}) {
  const [current, setCurrent] = useState(tabs[0]?.id);
  const def = tabs.find((t) => t.id === current) ?? tabs[0];
  if (!def) return null;
  return html`<section class="card panel" data-panel=${id} aria-labelledby=${`panel-${id}`}>
    <div class="card-head">
      <h2 id=${`panel-${id}`}>${title}</h2>
      ${
        tabs.length > 1 &&
        html`<div class="panel-tabs" role="tablist" aria-label=${title}>
          ${tabs.map(
            (t) => html`<button type="button" role="tab" key=${t.id} data-tab=${t.id} aria-selected=${t.id === def.id}
              onClick=${() => setCurrent(t.id)}>${t.label}</button>`,
          )}
        </div>`
      }
    </div>
    <div role="tabpanel"><${Rows} key=${def.id} def=${def} params=${params} view=${view} query=${query} /></div>
  </section>`;
}

/** Keys the breakdown route accepts (src/query/dimensions.ts); others are listed but cannot be opened. */
export const PROP_KEY = /^[A-Za-z0-9_.:\- ]{1,300}$/;

interface PropertyKey {
  key: string;
  events: number;
}

const propTab = (key: string): TabDef => ({
  id: `props/${key}`,
  label: key,
  path: `props/${encodeURIComponent(key)}`,
  dim: `event:props:${key}`,
  name: key,
  columns: ['percentage'],
});

/** The property keys of the period as buttons, most used first; a click opens that key's breakdown. */
function KeyRows({ keys, more, onPick }: { keys: PropertyKey[]; more: boolean; onPick: (key: string) => void }) {
  const max = Math.max(1, ...keys.map((k) => k.events));
  return html`<div class="row-head" aria-hidden="true"><span>Property</span><span>Events</span></div>
    <ul class="rows prop-keys">
      ${keys.slice(0, more ? keys.length : ROWS).map((k) => {
        const ok = PROP_KEY.test(k.key);
        return html`<li key=${k.key}>
          <button type="button" class="row" disabled=${!ok} onClick=${() => onPick(k.key)}
            title=${ok ? `Break visitors down by ${k.key}` : 'Only keys of letters, digits, spaces and _ . : - can be broken down'}>
            <span class="bar" style=${{ width: `${(k.events / max) * 100}%` }}></span>
            <span class="row-label">${k.key}</span>
            <span class="num" data-col="events">${count(k.events)}</span>
          </button>
        </li>`;
      })}
    </ul>`;
}

export function PropsPanel({ params, view, query }: { params: Params; view: View; query: DashQuery }) {
  const keys = useApi<PropertyKey[]>('/api/stats/property-keys', params);
  const [key, setKey] = useState('');
  const [text, setText] = useState('');
  const [more, setMore] = useState(false);
  const valid = PROP_KEY.test(text.trim());
  const show = (e: Event) => {
    e.preventDefault();
    if (valid) setKey(text.trim());
  };
  const list = keys.data;
  // Typing a key is the fallback for when the period has none to pick from.
  const typed = keys.error !== null || (list !== undefined && list.length === 0);
  const def = key ? propTab(key) : null;
  const options = list && key && !list.some((k) => k.key === key) ? [{ key, events: 0 }, ...list] : (list ?? []);

  return html`<section class="card panel" data-panel="props" aria-labelledby="panel-props">
    <div class="card-head">
      <h2 id="panel-props">Custom properties</h2>
      ${
        def &&
        !typed &&
        html`<div class="inline-form prop-pick">
          <label><span class="visually-hidden">Property key</span>
            <select name="prop-key" value=${key} onChange=${(e: Event) => setKey((e.target as HTMLSelectElement).value)}>
              ${options.filter((k) => PROP_KEY.test(k.key)).map((k) => html`<option key=${k.key} value=${k.key}>${k.key}</option>`)}
            </select>
          </label>
          <button type="button" class="link small" onClick=${() => setKey('')}>All properties</button>
        </div>`
      }
      ${
        typed &&
        html`<form class="inline-form" onSubmit=${show}>
          <label><span class="visually-hidden">Property key</span>
            <input name="prop" placeholder="Property key, e.g. plan" value=${text} spellcheck="false"
              onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="secondary small" disabled=${!valid}>Show</button>
        </form>`
      }
    </div>
    ${
      def
        ? html`<${Rows} key=${def.id} def=${def} params=${params} view=${view} query=${query} />`
        : html`<div class=${`rows-box${more ? ' expanded' : ''}${keys.loading && list ? ' stale' : ''}`} aria-busy=${keys.loading}>
            ${keys.error && html`<${ErrorNote} message=${keys.error} retry=${keys.reload} />`}
            ${!list && !keys.error && html`<${Skeleton} rows=${5} />`}
            ${list && list.length > 0 && html`<${KeyRows} keys=${list} more=${more} onPick=${setKey} />`}
            ${
              list &&
              list.length > ROWS &&
              html`<button type="button" class="link small more" onClick=${() => setMore(!more)}>${more ? 'Show fewer' : 'Show more'}</button>`
            }
            ${
              list &&
              list.length === 0 &&
              html`<${Empty}>No custom properties in this period. Type a property key sent with your events (<code>props</code>) to break visitors down by its values.<//>`
            }
          </div>`
    }
  </section>`;
}
