/**
 * The demo site (`mallard-metrics demo`, POST /api/demo): the offer on an empty install's
 * Sites page (the super-admin only: the server refuses anyone else), and the banner every
 * page of the demo site shows, with its one-click removal (the site and all its events).
 */
import { useState } from 'preact/hooks';
import { del, errorText, post } from '../api.js';
import { html } from '../html.js';
import { href, navigate } from '../router.js';
import { ErrorNote } from './ui.js';

export const DEMO_SITE = 'demo.example';

export function DemoOffer({ onLoaded }: { onLoaded: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    setBusy(true);
    setError(null);
    try {
      await post('/api/demo');
      onLoaded();
      navigate(href({ page: 'site', site: DEMO_SITE, tab: 'overview' }));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return html`<div class="demo-offer">
    <p>Want to look around first? Load a month of generated traffic into a demo site, <strong>${DEMO_SITE}</strong>; one click removes it again.</p>
    ${error && html`<${ErrorNote} message=${error} />`}
    <div><button type="button" class="secondary" onClick=${load} disabled=${busy}>${busy ? 'Loading demo data…' : 'Load demo data'}</button></div>
  </div>`;
}

export function DemoBanner({ siteId, onRemoved }: { siteId: string; onRemoved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await del(`/api/sites/${encodeURIComponent(siteId)}`);
      onRemoved();
      navigate('/');
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return html`<div class="demo-banner" role="note">
    <span><strong>Demo data — generated, not real traffic.</strong> ${siteId} was filled by <code>mallard-metrics demo</code>.</span>
    <button type="button" class="secondary small" onClick=${remove} disabled=${busy}>${busy ? 'Removing…' : 'Remove demo'}</button>
    ${error && html`<${ErrorNote} message=${error} />`}
  </div>`;
}
