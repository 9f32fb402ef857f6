/**
 * A site's goals (site settings): the list, "add a goal" (a custom event by name, or a page
 * by path with `*` wildcards, with an optional display name and, for events, a revenue
 * currency) and removal. The Goals panel of the dashboard counts these once there are any.
 */
import { useState } from 'preact/hooks';
import { del, errorText, post } from '../api.js';
import { html } from '../html.js';
import type { Goal } from '../types.js';
import { useApi } from '../use-api.js';
import { ConfirmButton, Empty, ErrorNote } from './ui.js';

const inputValue = (e: Event) => (e.target as HTMLInputElement).value;

/** What a goal counts, in words. */
export const goalTarget = (g: Goal) => (g.event_name !== null ? `event ${g.event_name}` : `page views of ${g.page_path}`);

export function Goals({ site }: { site: string }) {
  const path = `/api/sites/${encodeURIComponent(site)}/goals`;
  const goals = useApi<Goal[]>(path);
  const [kind, setKind] = useState<'event' | 'page'>('event');
  const [target, setTarget] = useState('');
  const [name, setName] = useState('');
  const [currency, setCurrency] = useState('');
  const [error, setError] = useState<string | null>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const body: Record<string, string> = kind === 'event' ? { event_name: target.trim() } : { page_path: target.trim() };
    if (name.trim()) body.display_name = name.trim();
    if (kind === 'event' && currency.trim()) body.currency = currency.trim();
    try {
      await post<Goal>(path, body);
      setTarget('');
      setName('');
      setCurrency('');
      goals.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async (id: string) => {
    setError(null);
    try {
      await del(`${path}/${id}`);
      goals.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const list = goals.data;
  return html`<section class="card" aria-labelledby="goals-title">
    <h2 id="goals-title">Goals</h2>
    <p class="muted">
      Goals are what the Goals panel counts, with conversion rates. Without any, every custom event is a goal.
    </p>
    ${goals.error && html`<${ErrorNote} message=${goals.error} retry=${goals.reload} />`}
    ${list && list.length === 0 && html`<${Empty}>No goals: every custom event counts as one.<//>`}
    ${
      list &&
      list.length > 0 &&
      html`<ul class="item-list goal-list">
        ${list.map(
          (g) => html`<li key=${g.id}>
            <span class="goal-name">${g.display_name}</span>
            <span class="muted small">${goalTarget(g)}${g.currency ? ` · revenue in ${g.currency}` : ''}</span>
            <${ConfirmButton} label="Remove" confirm=${`Remove the goal ${g.display_name}?`} onConfirm=${() => remove(g.id)} />
          </li>`,
        )}
      </ul>`
    }
    <form class="stack" onSubmit=${add} aria-label="Add a goal">
      <fieldset class="choice-row">
        <legend class="visually-hidden">Goal kind</legend>
        <label><input type="radio" name="goal-kind" checked=${kind === 'event'} onChange=${() => setKind('event')} /> Custom event</label>
        <label><input type="radio" name="goal-kind" checked=${kind === 'page'} onChange=${() => setKind('page')} /> Page visit</label>
      </fieldset>
      <label>${kind === 'event' ? 'Event name' : 'Page path'}
        <input name="goal-target" required autocomplete="off" spellcheck="false"
          placeholder=${kind === 'event' ? 'Signup' : '/blog/*'} value=${target} onInput=${(e: Event) => setTarget(inputValue(e))} />
      </label>
      ${kind === 'page' && html`<p class="hint"><code>*</code> matches any characters, e.g. <code>/blog/*</code>.</p>`}
      <label><span>Display name <span class="muted">(optional)</span></span>
        <input name="goal-name" autocomplete="off" maxlength="120" value=${name} onInput=${(e: Event) => setName(inputValue(e))} />
      </label>
      ${
        kind === 'event' &&
        html`<label><span>Revenue currency <span class="muted">(optional, e.g. EUR)</span></span>
          <input name="goal-currency" autocomplete="off" maxlength="3" value=${currency}
            onInput=${(e: Event) => setCurrency(inputValue(e))} />
        </label>`
      }
      ${error && html`<${ErrorNote} message=${error} />`}
      <div><button type="submit" class="secondary">Add goal</button></div>
    </form>
  </section>`;
}
