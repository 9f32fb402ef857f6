/**
 * The step list of the funnel builder and the sequence check: each step a page path
 * (`*` matches anything), a custom event name or a configured goal, with suggestions from
 * the site's data.
 */
import { html } from '../html.js';

export interface Step {
  kind: 'page' | 'event' | 'goal';
  value: string;
}

const PLACEHOLDER: Record<Step['kind'], string> = {
  page: '/path (use * as a wildcard)',
  event: 'Event name, e.g. Signup',
  goal: 'Goal name',
};
const LIST: Record<Step['kind'], string> = { page: 'pages', event: 'events', goal: 'goals' };

/** The API's `steps`: comma-separated, or a JSON list when a value holds a comma. */
export function stepsParam(steps: Step[]): string {
  const items = steps.map((s) => `${s.kind}:${s.value.trim()}`);
  return items.some((s) => s.includes(',')) ? JSON.stringify(items) : items.join(',');
}

export const stepsReady = (steps: Step[]) => steps.every((s) => s.value.trim() !== '');

export const stepLabel = (s: Step) => (s.kind === 'page' ? s.value : `${s.kind === 'event' ? 'Event' : 'Goal'}: ${s.value}`);

const options = (values: string[]) => values.map((v) => html`<option key=${v} value=${v}></option>`);

/** `<datalist>`s of page paths, event names and goal names, referenced by the step inputs. */
export function Suggestions({ id, pages, events, goals }: { id: string; pages: string[]; events: string[]; goals: string[] }) {
  return html`<datalist id=${`${id}-pages`}>${options(pages)}</datalist>
    <datalist id=${`${id}-events`}>${options(events)}</datalist>
    <datalist id=${`${id}-goals`}>${options(goals)}</datalist>`;
}

export function StepsEditor({
  id,
  steps,
  onChange,
  min,
  max,
}: {
  id: string;
  steps: Step[];
  onChange: (s: Step[]) => void;
  min: number;
  max: number;
}) {
  const set = (i: number, patch: Partial<Step>) => onChange(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  return html`<ol class="steps">
      ${steps.map(
        (s, i) => html`<li key=${i} class="step">
          <span class="step-no" aria-hidden="true">${i + 1}</span>
          <label><span class="visually-hidden">Step ${i + 1} kind</span>
            <select name=${`${id}-kind-${i}`} value=${s.kind}
              onChange=${(e: Event) => set(i, { kind: (e.target as HTMLSelectElement).value as Step['kind'] })}>
              <option value="page">Page</option>
              <option value="event">Event</option>
              <option value="goal">Goal</option>
            </select>
          </label>
          <label class="grow"><span class="visually-hidden">Step ${i + 1}</span>
            <input name=${`${id}-step-${i}`} value=${s.value} list=${`${id}-${LIST[s.kind]}`}
              placeholder=${PLACEHOLDER[s.kind]} spellcheck="false"
              onInput=${(e: Event) => set(i, { value: (e.target as HTMLInputElement).value })} />
          </label>
          <button type="button" class="icon" aria-label=${`Remove step ${i + 1}`} disabled=${steps.length <= min}
            onClick=${() => onChange(steps.filter((_, j) => j !== i))}>×</button>
        </li>`,
      )}
    </ol>
    <button type="button" class="link small" disabled=${steps.length >= max}
      onClick=${() => onChange([...steps, { kind: 'page', value: '' }])}>+ Add step</button>`;
}
