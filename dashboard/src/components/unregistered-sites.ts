/**
 * "Receiving events, not registered" on the Sites page (super-admin only): without
 * `site_ids` the server stores events for any site id, while the list above shows only
 * registered sites, so a first page view sent before the site was added seemed lost. Each
 * such site gets one Register button (POST /api/sites); it then moves to the list above
 * with the events it already has.
 */
import { useState } from 'preact/hooks';
import { errorText, post } from '../api.js';
import { count, dateTime } from '../format.js';
import { html } from '../html.js';
import type { UnregisteredSite } from '../types.js';
import { useApi } from '../use-api.js';
import { ErrorNote } from './ui.js';

export function UnregisteredSites({ onRegistered }: { onRegistered: () => void }) {
  const found = useApi<UnregisteredSite[]>('/api/unregistered-sites');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Registered here: hidden at once, before the list is asked again.
  const [done, setDone] = useState<readonly string[]>([]);

  const register = async (id: string) => {
    setBusy(id);
    setError(null);
    try {
      await post('/api/sites', { id });
      setDone((d) => [...d, id]);
      onRegistered();
      found.reload();
    } catch (err) {
      setError(errorText(err));
    }
    setBusy(null);
  };

  const sites = (found.data ?? []).filter((s) => !done.includes(s.id));
  if (found.error) return html`<${ErrorNote} message=${found.error} retry=${found.reload} />`;
  if (sites.length === 0) return null;
  return html`<div class="unregistered" role="region" aria-labelledby="unregistered-title">
    <h2 id="unregistered-title">Receiving events, not registered</h2>
    <p class="hint">These site ids send events to this server. Register one to see its dashboard, with the events it has already sent.</p>
    ${error && html`<${ErrorNote} message=${error} />`}
    <ul class="site-list">
      ${sites.map(
        (s) => html`<li key=${s.id}>
          <span class="site-name">${s.id}</span>
          <span class="muted small">${count(s.events)} ${s.events === 1 ? 'event' : 'events'} · last ${dateTime(s.last_seen)}</span>
          <button type="button" class="small" disabled=${busy !== null} aria-label=${`Register ${s.id}`}
            onClick=${() => register(s.id)}>${busy === s.id ? 'Registering…' : 'Register'}</button>
        </li>`,
      )}
    </ul>
  </div>`;
}
