/**
 * Retention heat grid: cohorts (by first visit) × periods after. A period that has not
 * happened yet is "not yet", not 0; the API's note explains what cookieless identities
 * mean for multi-day retention.
 */
import { useState } from 'preact/hooks';
import type { Params } from '../api.js';
import { count, day, percent } from '../format.js';
import { html } from '../html.js';
import type { Retention as RetentionAnswer } from '../types.js';
import { useApi } from '../use-api.js';
import { Empty, ErrorNote, Skeleton } from './ui.js';

type Unit = 'day' | 'week' | 'month';
const PERIODS: Record<Unit, number> = { day: 7, week: 8, month: 6 };
const NAMES: Record<Unit, string> = { day: 'Day', week: 'Week', month: 'Month' };

export function Retention({ params }: { params: Params }) {
  const [unit, setUnit] = useState<Unit>('day');
  const ret = useApi<RetentionAnswer>('/api/stats/retention', { ...params, interval: unit, periods: PERIODS[unit] });
  const d = ret.data;
  const cohorts = d?.cohorts.filter((c) => c.size > 0) ?? [];
  const columns = Array.from({ length: (d?.periods ?? PERIODS[unit]) + 1 }, (_, k) => k);

  return html`<section class="card" data-section="retention" aria-labelledby="retention-title">
    <div class="card-head">
      <h2 id="retention-title">Retention</h2>
      <div class="segmented" role="group" aria-label="Cohort interval">
        ${(['day', 'week', 'month'] as const).map(
          (u) =>
            html`<button type="button" key=${u} aria-pressed=${u === unit} onClick=${() => setUnit(u)}>${NAMES[u]}s</button>`,
        )}
      </div>
    </div>
    <p class="muted">Of the visitors first seen in each ${unit}, the share seen again in each later ${unit}.</p>
    <div class=${`result-box${ret.loading && d ? ' stale' : ''}`}>
      ${ret.error && html`<${ErrorNote} message=${ret.error} retry=${ret.reload} />`}
      ${!d && !ret.error && html`<${Skeleton} rows=${4} />`}
      ${d && cohorts.length === 0 && html`<${Empty}>No visitors in this period.<//>`}
      ${
        d &&
        cohorts.length > 0 &&
        html`<div class="table-scroll" tabindex="0" aria-label="Retention table (scrolls sideways)">
          <table class="retention">
            <thead>
              <tr>
                <th scope="col">Cohort</th>
                <th scope="col" class="num">Visitors</th>
                ${columns.map((k) => html`<th scope="col" key=${k}>${NAMES[unit]} ${k}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${cohorts.map(
                (c) => html`<tr key=${c.cohort_date}>
                  <th scope="row">${day(c.cohort_date)}</th>
                  <td class="num">${count(c.size)}</td>
                  ${columns.map((k) => {
                    const rate = c.rate[k];
                    if (rate === null || rate === undefined) return html`<td key=${k} class="not-yet">not yet</td>`;
                    return html`<td key=${k} class=${rate >= 0.5 ? 'heat strong' : 'heat'} style=${{ '--rate': String(rate) }}
                      title=${`${count(c.retained[k] ?? 0)} of ${count(c.size)} visitors`}>${percent(rate * 100)}</td>`;
                  })}
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
      }
      ${
        d &&
        html`<p class="note">
          ${count(d.identified_visitors)} signed-in and ${count(d.anonymous_visitors)} anonymous visitors.
          ${d.note ? ` ${d.note}` : ''}
        </p>`
      }
    </div>
  </section>`;
}
