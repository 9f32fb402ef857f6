/**
 * The Behavior tab: session stats, funnel builder, retention grid, page flow and the
 * sequence check, all over the dashboard's period and filters.
 */
import { useState } from 'preact/hooks';
import type { Params } from '../api.js';
import { count, decimal, duration, fractionPercent, percent } from '../format.js';
import { html } from '../html.js';
import type { BreakdownRow, Goal, Sequence, Sessions as SessionsAnswer } from '../types.js';
import { useApi } from '../use-api.js';
import { Flow } from './flow.js';
import { Funnel } from './funnel.js';
import { Retention } from './retention.js';
import { type Step, StepsEditor, Suggestions, stepsParam, stepsReady } from './steps.js';
import { ErrorNote, Loading } from './ui.js';

/** 1800 → "30 minutes". */
const gapText = (secs: number) =>
  secs % 3600 === 0
    ? `${secs / 3600} hour${secs === 3600 ? '' : 's'}`
    : secs % 60 === 0
      ? `${secs / 60} minutes`
      : `${secs} seconds`;

function Sessions({ params }: { params: Params }) {
  const s = useApi<SessionsAnswer>('/api/stats/sessions', params);
  const d = s.data;
  const tiles: [string, string, string][] = [
    ['sessions', 'Sessions', d ? count(d.total_sessions) : '–'],
    ['duration', 'Avg. session duration', d ? duration(d.avg_session_duration_secs) : '–'],
    ['pages', 'Pages per session', d ? decimal(d.avg_pages_per_session) : '–'],
    ['bounce', 'Bounce rate', d ? fractionPercent(d.bounce_rate) : '–'],
  ];
  return html`<section class=${`card top-stats${s.loading && d ? ' stale' : ''}`} data-section="sessions" aria-labelledby="sessions-title">
    <h2 id="sessions-title">Sessions</h2>
    ${s.error && html`<${ErrorNote} message=${s.error} retry=${s.reload} />`}
    <dl class="stats">
      ${tiles.map(([id, label, value]) => html`<div class="stat" key=${id} data-stat=${id}><dt>${label}</dt><dd><span class="stat-value">${value}</span></dd></div>`)}
    </dl>
    ${d && html`<p class="muted small">A session ends after ${gapText(d.gap_secs)} without events.</p>`}
  </section>`;
}

function SequenceCheck({ params }: { params: Params }) {
  const [steps, setSteps] = useState<Step[]>([
    { kind: 'page', value: '' },
    { kind: 'event', value: '' },
  ]);
  const [within, setWithin] = useState('');
  const [asked, setAsked] = useState<{ steps: string; within?: string } | null>(null);
  const result = useApi<Sequence>(asked ? '/api/stats/sequences' : null, { ...params, ...asked });
  const submit = (e: Event) => {
    e.preventDefault();
    if (!stepsReady(steps)) return;
    const limit = within.trim();
    setAsked({
      steps: stepsParam(steps),
      within: limit
        ? Array(steps.length - 1)
            .fill(limit)
            .join(',')
        : undefined,
    });
  };
  const d = result.data;
  return html`<section class="card" data-section="sequence" aria-labelledby="sequence-title">
    <h2 id="sequence-title">Sequence check</h2>
    <p class="muted">How many visitors did these things in this order (other events may come between).</p>
    <form class="stack" onSubmit=${submit}>
      <${StepsEditor} id="sequence" steps=${steps} onChange=${setSteps} min=${2} max=${8} />
      <div class="inline-form">
        <label>At most between steps
          <input name="sequence-within" value=${within} placeholder="e.g. 30m, 2 hours (optional)" spellcheck="false"
            onInput=${(e: Event) => setWithin((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled=${!stepsReady(steps)}>Check</button>
      </div>
    </form>
    <div class="result-box small-box" aria-live="polite">
      ${result.error && html`<${ErrorNote} message=${result.error} retry=${result.reload} />`}
      ${asked && !d && !result.error && html`<${Loading} />`}
      ${
        d &&
        html`<p class=${`sequence-result${result.loading ? ' stale' : ''}`}>
          <strong class="sequence-converting">${count(d.converting_visitors)}</strong> of <strong class="sequence-total">${count(d.total_visitors)}</strong> visitors
          (<span class="sequence-rate">${percent(d.conversion_rate * 100)}</span>) did these steps in this order
          (${count(d.sequence_count)} time${d.sequence_count === 1 ? '' : 's'} in all).
        </p>`
      }
    </div>
  </section>`;
}

export function Behavior({ params }: { params: Params }) {
  const pages = useApi<BreakdownRow[]>('/api/stats/breakdown/pages', { ...params, limit: 50 });
  const goals = useApi<Goal[]>(`/api/sites/${encodeURIComponent(String(params.site_id))}/goals`);
  const configured = goals.data ?? [];
  // Event names are asked for only without configured goals (then the Goals panel's rows are events).
  const withoutGoals = goals.data?.length === 0 || goals.error !== null;
  const events = useApi<BreakdownRow[]>(withoutGoals ? '/api/stats/breakdown/events' : null, {
    ...params,
    limit: 50,
  });
  const pageNames = (pages.data ?? []).map((r) => r.value);
  // With configured goals the Goals panel names goals, not events: the goals' events are suggested instead.
  const eventNames =
    configured.length > 0
      ? configured.flatMap((g) => (g.event_name === null ? [] : [g.event_name]))
      : (events.data ?? []).map((r) => r.value);
  const goalNames = configured.map((g) => g.display_name);
  return html`<div class="behavior">
    <${Suggestions} id="funnel" pages=${pageNames} events=${eventNames} goals=${goalNames} />
    <${Suggestions} id="sequence" pages=${pageNames} events=${eventNames} goals=${goalNames} />
    <${Sessions} params=${params} />
    <${Funnel} params=${params} />
    <div class="behavior-col">
      <${Flow} params=${params} pages=${pageNames} />
      <${SequenceCheck} params=${params} />
    </div>
    <${Retention} params=${params} />
  </div>`;
}
