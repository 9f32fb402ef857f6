/**
 * One site's dashboard (signed in, or read-only through a share link): the controls bar,
 * the saved segment and the filter chips, then the Overview (top stats, chart, breakdown
 * panels) or the Behavior tab. Every panel loads its own data, so all requests start
 * together and run in parallel. In realtime the Overview's panels ask again every few
 * seconds (`LiveRefresh`, use-api.ts) without a reload.
 */
import type { Params } from '../api.js';
import { filtersParam } from '../filters.js';
import { html } from '../html.js';
import { periodParams, REALTIME_REFRESH_MS } from '../period.js';
import type { DashQuery, View } from '../router.js';
import { LiveRefresh, usePageProblem } from '../use-api.js';
import { Behavior } from './behavior.js';
import { BreakdownPanel, GOALS, PANELS, PropsPanel } from './breakdown.js';
import { Chart } from './chart.js';
import { CompareToggle, ExportLink, FilterChips, PeriodPicker, Realtime } from './controls.js';
import { PageProblem } from './errors.js';
import { SegmentPicker } from './segments.js';
import { TopStats } from './top-stats.js';

export function Dashboard({ siteId, view, query }: { siteId: string; view: View; query: DashQuery }) {
  const params: Params = {
    site_id: siteId,
    ...periodParams(query),
    filters: filtersParam(query),
    segment: query.segment,
  };
  const tab = view.page === 'site' || view.page === 'share' ? view.tab : 'overview';
  const realtime = query.period === 'realtime';
  // Comparing 30 minutes with the 30 before says little; Plausible offers none either.
  const compare = realtime ? null : query.compare;
  // Realtime's numbers ask again by themselves; the controls' lists (segments) do not.
  const live = realtime && tab === 'overview' ? REALTIME_REFRESH_MS : 0;
  // A refused filter (a pasted address) is said once, instead of by every panel.
  const refused = usePageProblem();
  return html`<div class="dashboard">
    <div class="controls">
      <${PeriodPicker} view=${view} query=${query} />
      ${tab === 'overview' && !realtime && html`<${CompareToggle} view=${view} query=${query} />`}
      <span class="spacer"></span>
      <${Realtime} siteId=${siteId} refreshMs=${live} />
      <${ExportLink} params=${params} />
    </div>
    <div class="filter-bar">
      <${SegmentPicker} siteId=${siteId} view=${view} query=${query} />
      <${FilterChips} view=${view} query=${query} />
    </div>
    ${
      refused
        ? html`<${PageProblem} err=${refused} view=${view} query=${query} />`
        : tab === 'behavior'
          ? html`<${Behavior} params=${params} />`
          : html`<${LiveRefresh.Provider} value=${live}>
          <${TopStats} params=${params} compare=${compare} />
          <${Chart} params=${params} view=${view} query=${query} />
          <div class="panels">
            ${PANELS.map((p) => html`<${BreakdownPanel} key=${p.id} id=${p.id} title=${p.title} tabs=${p.tabs} params=${params} view=${view} query=${query} />`)}
            <${BreakdownPanel} id="goals" title="Goals" tabs=${[GOALS]} params=${params} view=${view} query=${query} />
            <${PropsPanel} params=${params} view=${view} query=${query} />
          </div>
        <//>`
    }
  </div>`;
}
