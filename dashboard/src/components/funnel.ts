/**
 * Funnel builder: 2–8 steps, a window and the optional modes (ClickHouse windowFunnel's);
 * the answer as bars with the drop-off between steps.
 */
import { useState } from 'preact/hooks';
import type { Params } from '../api.js';
import { count, percent } from '../format.js';
import { html } from '../html.js';
import type { FunnelStep } from '../types.js';
import { useApi } from '../use-api.js';
import { type Step, StepsEditor, stepsParam, stepsReady } from './steps.js';
import { Empty, ErrorNote, Loading } from './ui.js';

const WINDOWS = [
  ['30 minutes', '30 minutes'],
  ['1 hour', '1 hour'],
  ['1 day', '1 day'],
  ['7 days', '7 days'],
  ['30 days', '30 days'],
] as const;

export type FunnelMode = 'strict_order' | 'strict_deduplication' | 'strict_increase' | 'strict_once' | 'allow_reentry';

/** The `mode` values (docs/API.md), in the order they are offered, with what each does. */
export const MODES: readonly { id: FunnelMode; label: string; hint: string }[] = [
  { id: 'strict_order', label: 'Strict order', hint: 'any other event after step 1 ends the funnel' },
  { id: 'strict_deduplication', label: 'Strict deduplication', hint: 'a repeated step ends it' },
  { id: 'strict_increase', label: 'Strict increase', hint: 'each step strictly later than the one before' },
  { id: 'strict_once', label: 'Strict once', hint: 'an event fills one step only' },
  { id: 'allow_reentry', label: 'Allow re-entry', hint: 'with strict order: out-of-order steps are skipped instead' },
];

/** Toggles a mode; re-entry exists only with strict order, so leaving strict order drops it. */
export function toggleMode(modes: readonly FunnelMode[], mode: FunnelMode, on: boolean): FunnelMode[] {
  let next = on ? [...new Set([...modes, mode])] : modes.filter((m) => m !== mode);
  if (!next.includes('strict_order')) next = next.filter((m) => m !== 'allow_reentry');
  return MODES.map((m) => m.id).filter((id) => next.includes(id));
}

/** The API's step label ("page:/pricing", "event:Signup", "goal:Sign up") as people read it. */
const stepName = (label: string) =>
  label.startsWith('page:')
    ? label.slice(5)
    : label.startsWith('event:')
      ? `Event: ${label.slice(6)}`
      : label.startsWith('goal:')
        ? `Goal: ${label.slice(5)}`
        : label;

export function Funnel({ params }: { params: Params }) {
  const [steps, setSteps] = useState<Step[]>([
    { kind: 'page', value: '/' },
    { kind: 'page', value: '' },
  ]);
  const [win, setWin] = useState('1 day');
  const [modes, setModes] = useState<FunnelMode[]>([]);
  const [asked, setAsked] = useState<{ steps: string; window: string; mode?: string } | null>(null);
  const result = useApi<FunnelStep[]>(asked ? '/api/stats/funnel' : null, { ...params, ...asked });

  const submit = (e: Event) => {
    e.preventDefault();
    if (stepsReady(steps)) setAsked({ steps: stepsParam(steps), window: win, mode: modes.join(',') || undefined });
  };
  const rows = result.data;
  const first = rows?.[0]?.visitors ?? 0;

  return html`<section class="card" data-section="funnel" aria-labelledby="funnel-title">
    <h2 id="funnel-title">Funnel</h2>
    <p class="muted">
      Visitors who went through the steps in this order, each within the window after the first. Without a${' '}
      <code>user_id</code> from your server a visitor is anonymous and counted anew each UTC day.
    </p>
    <form class="stack" onSubmit=${submit}>
      <${StepsEditor} id="funnel" steps=${steps} onChange=${setSteps} min=${2} max=${8} />
      <fieldset class="modes">
        <legend>Mode <span class="muted">(optional)</span></legend>
        ${MODES.map((m) => {
          const disabled = m.id === 'allow_reentry' && !modes.includes('strict_order');
          return html`<label key=${m.id} class=${`toggle${disabled ? ' disabled' : ''}`}>
            <input type="checkbox" name=${`funnel-mode-${m.id}`} checked=${modes.includes(m.id)} disabled=${disabled}
              onChange=${(e: Event) => setModes(toggleMode(modes, m.id, (e.target as HTMLInputElement).checked))} />
            <span>${m.label} <span class="muted small">— ${m.hint}</span></span>
          </label>`;
        })}
      </fieldset>
      <div class="inline-form">
        <label>Window
          <select name="funnel-window" value=${win} onChange=${(e: Event) => setWin((e.target as HTMLSelectElement).value)}>
            ${WINDOWS.map(([v, l]) => html`<option key=${v} value=${v}>${l}</option>`)}
          </select>
        </label>
        <button type="submit" disabled=${!stepsReady(steps)}>Show funnel</button>
      </div>
    </form>
    <div class="result-box" aria-live="polite">
      ${result.error && html`<${ErrorNote} message=${result.error} retry=${result.reload} />`}
      ${asked && !rows && !result.error && html`<${Loading} />`}
      ${rows && first === 0 && html`<${Empty}>Nobody reached the first step in this period.<//>`}
      ${
        rows &&
        first > 0 &&
        html`<ol class=${`funnel${result.loading ? ' stale' : ''}`}>
          ${rows.map(
            (r, i) => html`<li key=${r.step} class="funnel-step" data-step=${r.step}>
              ${
                i > 0 &&
                html`<p class="dropoff">
                  <span aria-hidden="true">↓</span> <span class="dropoff-count">${count(r.dropoff)}</span> dropped off
                  (${percent(r.dropoff_rate * 100)})
                </p>`
              }
              <div class="funnel-label">
                <span><span class="step-no">${r.step}</span> ${stepName(r.label)}</span>
                <span><strong class="funnel-visitors">${count(r.visitors)}</strong> ${r.visitors === 1 ? 'visitor' : 'visitors'} · <span class="funnel-rate">${percent(r.conversion_rate * 100)}</span></span>
              </div>
              <div class="funnel-track"><span class="funnel-bar" style=${{ width: `${(r.visitors / first) * 100}%` }}></span></div>
            </li>`,
          )}
        </ol>`
      }
    </div>
  </section>`;
}
