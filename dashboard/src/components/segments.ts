/**
 * The segment picker beside the filter chips: apply one of the site's saved segments
 * (`segment=<id>` in the URL, hence in every request), save what is being looked at as a new
 * one, delete the chosen one. A shared view lists and applies segments but cannot change them.
 */
import { useState } from 'preact/hooks';
import { del, errorText, post } from '../api.js';
import type { Filter } from '../filters.js';
import { html } from '../html.js';
import { type DashQuery, setQuery, type View } from '../router.js';
import type { Segment } from '../types.js';
import { useApi } from '../use-api.js';
import { ConfirmButton, ErrorNote } from './ui.js';

const NAME_MAX = 100;

export function SegmentPicker({ siteId, view, query }: { siteId: string; view: View; query: DashQuery }) {
  const path = `/api/sites/${encodeURIComponent(siteId)}/segments`;
  const segments = useApi<Segment[]>(path);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const canEdit = view.page === 'site';
  const list = segments.data ?? [];
  const current = list.find((s) => s.id === query.segment);

  const choose = (e: Event) => {
    const id = (e.target as HTMLSelectElement).value;
    setError(null);
    setQuery(view, { ...query, segment: id === '' ? undefined : id });
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    // What is on screen: the applied segment's filters and the chips.
    const filters: Filter[] = [...(current?.filters ?? []), ...query.filters];
    try {
      const saved = await post<Segment>(path, { name: name.trim(), filters });
      setNaming(false);
      setName('');
      segments.reload();
      // The new segment holds those filters: it replaces them, and the numbers stay the same.
      setQuery(view, { ...query, filters: [], unreadFilters: undefined, segment: saved.id });
    } catch (err) {
      setError(errorText(err));
    }
  };

  const remove = async () => {
    if (!query.segment) return;
    setError(null);
    try {
      await del(`${path}/${encodeURIComponent(query.segment)}`);
      segments.reload();
      setQuery(view, { ...query, segment: undefined });
    } catch (err) {
      setError(errorText(err));
    }
  };

  const canSave = canEdit && query.filters.length > 0;
  if (list.length === 0 && !query.segment && !canSave) return null;

  return html`<div class="segments" data-section="segments">
    ${
      (list.length > 0 || query.segment) &&
      html`<label class="segment-picker">
        <span class="visually-hidden">Segment</span>
        <select name="segment" value=${query.segment ?? ''} onChange=${choose}>
          <option value="">All visitors</option>
          ${list.map((s) => html`<option key=${s.id} value=${s.id}>${s.name}</option>`)}
          ${query.segment && segments.data && !current && html`<option value=${query.segment}>Unknown segment</option>`}
        </select>
      </label>`
    }
    ${
      canSave &&
      !naming &&
      html`<button type="button" class="secondary small" onClick=${() => setNaming(true)}>Save as segment</button>`
    }
    ${
      naming &&
      html`<form class="inline-form segment-form" onSubmit=${save}>
        <label><span class="visually-hidden">Segment name</span>
          <input name="segment-name" placeholder="Segment name" maxlength=${NAME_MAX} required value=${name}
            onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="small" disabled=${name.trim() === ''}>Save</button>
        <button type="button" class="secondary small" onClick=${() => setNaming(false)}>Cancel</button>
      </form>`
    }
    ${
      canEdit &&
      current &&
      html`<${ConfirmButton} label="Delete segment" confirm=${`Delete “${current.name}”?`} onConfirm=${remove} />`
    }
    ${error && html`<${ErrorNote} message=${error} />`}
  </div>`;
}
