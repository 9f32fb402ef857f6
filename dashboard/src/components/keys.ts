/** API keys: create (the key is shown once), list, revoke. */
import { useState } from 'preact/hooks';
import { del, errorText, post } from '../api.js';
import { dateTime } from '../format.js';
import { html } from '../html.js';
import type { ApiKey, Site } from '../types.js';
import { useApi } from '../use-api.js';
import { ConfirmButton, CopyButton, Empty, ErrorNote, Loading } from './ui.js';

const SCOPES = [
  { id: 'read', label: 'Read — stats and exports' },
  { id: 'ingest', label: 'Ingest — POST /api/events' },
  { id: 'admin', label: 'Admin — everything' },
] as const;

/** `sites`: those the user may make keys for; `allSites`: whether a key for every site is theirs to make (the super-admin's). */
export function KeysPage({ sites, allSites = true }: { sites: Site[]; allSites?: boolean }) {
  const keys = useApi<ApiKey[]>('/api/keys');
  const [name, setName] = useState('');
  const [scope, setScope] = useState<string>('read');
  const [site, setSite] = useState('');
  const chosen = allSites ? site : site || (sites[0]?.id ?? '');
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [error, setError] = useState<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const key = await post<ApiKey>('/api/keys', { name: name.trim(), scope, sites: chosen ? [chosen] : undefined });
      setCreated(key);
      setName('');
      keys.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (id: string) => {
    setError(null);
    try {
      await del(`/api/keys/${encodeURIComponent(id)}`);
      if (created?.id === id) setCreated(null);
      keys.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return html`<div class="page-grid">
    <section class="card" aria-labelledby="new-key-title">
      <h1 id="new-key-title">API keys</h1>
      <p class="muted">For scripts and servers: send the key as <code>Authorization: Bearer mm_…</code>.</p>
      <form class="stack" onSubmit=${create}>
        <label>Name
          <input name="name" required maxlength="100" placeholder="e.g. importer" autocomplete="off"
            value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>Scope
          <select name="scope" value=${scope} onChange=${(e: Event) => setScope((e.target as HTMLSelectElement).value)}>
            ${SCOPES.map((s) => html`<option key=${s.id} value=${s.id}>${s.label}</option>`)}
          </select>
        </label>
        <label>Sites
          <select name="site" value=${chosen} onChange=${(e: Event) => setSite((e.target as HTMLSelectElement).value)}>
            ${allSites && html`<option value="">All sites</option>`}
            ${sites.map((s) => html`<option key=${s.id} value=${s.id}>${s.id} only</option>`)}
          </select>
        </label>
        ${error && html`<${ErrorNote} message=${error} />`}
        <div><button type="submit">Create key</button></div>
      </form>
      ${
        created?.key &&
        html`<div class="secret" role="status">
          <p><strong>${created.name}</strong> — copy this key now. It is shown only once and cannot be recovered.</p>
          <p class="secret-row"><code class="new-key">${created.key}</code> <${CopyButton} text=${created.key} /></p>
          <button type="button" class="link" onClick=${() => setCreated(null)}>I have copied it</button>
        </div>`
      }
    </section>
    <section class="card" aria-labelledby="keys-title">
      <h2 id="keys-title">Existing keys</h2>
      ${keys.error && html`<${ErrorNote} message=${keys.error} retry=${keys.reload} />`}
      ${!keys.data && !keys.error && html`<${Loading} />`}
      ${keys.data && keys.data.length === 0 && html`<${Empty}>No API keys.<//>`}
      ${
        keys.data &&
        keys.data.length > 0 &&
        html`<ul class="item-list key-list">
          ${keys.data.map(
            (k) => html`<li key=${k.id}>
              <span class="key-name">${k.name}</span>
              <span class="badge">${k.scope}</span>
              <span class="muted small">${k.sites ? k.sites.join(', ') : 'all sites'} · created ${dateTime(k.created_at)} · last used ${dateTime(k.last_used_at)}</span>
              <${ConfirmButton} label="Revoke" confirm=${`Revoke ${k.name}?`} onConfirm=${() => revoke(k.id)} />
            </li>`,
          )}
        </ul>`
      }
    </section>
  </div>`;
}
