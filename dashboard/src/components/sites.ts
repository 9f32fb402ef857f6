/**
 * Site management: the list with "add a site", and one site's settings (tracking snippet,
 * allowed origins, time zone and rate limit, the signing secret of server-side batches,
 * goals (goals.ts), shields (shields.ts), share links, removal).
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { del, errorText, patch, post } from '../api.js';
import { dateTime } from '../format.js';
import { html } from '../html.js';
import { href, linkClick, navigate } from '../router.js';
import type { Me, Role, ShareLink, Site } from '../types.js';
import { type Loaded, useApi } from '../use-api.js';
import { DemoOffer } from './demo.js';
import { Goals } from './goals.js';
import { ImportHistory } from './import-upload.js';
import { Imports } from './imports.js';
import { ReportsCard } from './reports.js';
import { ShieldsCard } from './shields.js';
import { ConfirmButton, CopyButton, Empty, ErrorNote, Loading } from './ui.js';
import { MembersCard } from './users.js';

export const snippet = (site: string) =>
  `<script defer data-domain="${site}" src="${location.origin}/tracking/script.js"></script>`;

/** "https://www.Example.com/" → "www.example.com": people paste URLs into the domain field. */
export function siteIdFrom(input: string): string {
  return input
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/[/?#].*$/, '');
}

const originLines = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean);

const inputValue = (e: Event) => (e.target as HTMLInputElement | HTMLTextAreaElement).value;

/** `children`: shown under the list (the sites that receive events unregistered, for the super-admin). */
export function SitesPage({ sites, me, children }: { sites: Loaded<Site[]>; me?: Me; children?: ComponentChildren }) {
  const [domain, setDomain] = useState('');
  const [origins, setOrigins] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const add = async (e: Event) => {
    e.preventDefault();
    const id = siteIdFrom(domain);
    if (!id) return setError('Enter the domain of the site, e.g. example.com.');
    setBusy(true);
    setError(null);
    try {
      await post('/api/sites', { id, origins: originLines(origins) });
      sites.reload();
      navigate(href({ page: 'site', site: id, tab: 'settings' }));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  const list = sites.data;
  return html`<div class="page-grid">
    <section class="card" aria-labelledby="sites-title">
      <h1 id="sites-title">Sites</h1>
      ${sites.error && html`<${ErrorNote} message=${sites.error} retry=${sites.reload} />`}
      ${!list && !sites.error && html`<${Loading} />`}
      ${list && list.length === 0 && html`<${Empty}>No sites yet. Add your first site to start counting visitors.<//>`}
      ${list && list.length === 0 && me?.super_admin && html`<${DemoOffer} onLoaded=${sites.reload} />`}
      ${
        list &&
        list.length > 0 &&
        html`<ul class="site-list">
          ${list.map(
            (s) => html`<li key=${s.id}>
              <a class="site-name" href=${href({ page: 'site', site: s.id, tab: 'overview' })} onClick=${linkClick}>${s.id}</a>
              ${s.demo && html`<span class="demo-tag" title="Generated traffic, not real">demo</span>`}
              <span class="muted small">${s.origins.length > 0 ? s.origins.join(', ') : 'any origin'}</span>
              <a class="small" href=${href({ page: 'site', site: s.id, tab: 'settings' })} onClick=${linkClick}
                aria-label=${`Settings of ${s.id}`}>Settings</a>
            </li>`,
          )}
        </ul>`
      }
      ${children}
    </section>
    <section class="card" aria-labelledby="add-site-title">
      <h2 id="add-site-title">Add a site</h2>
      <form class="stack" onSubmit=${add}>
        <label>Domain
          <input name="domain" placeholder="example.com" required autocomplete="off" spellcheck="false"
            value=${domain} onInput=${(e: Event) => setDomain(inputValue(e))} />
        </label>
        <p class="hint">The site id the tracker sends as <code>data-domain</code>.</p>
        <label><span>Allowed origins <span class="muted">(optional)</span></span>
          <textarea name="origins" rows="3" placeholder="https://example.com" spellcheck="false"
            value=${origins} onInput=${(e: Event) => setOrigins(inputValue(e))}></textarea>
        </label>
        <p class="hint">One per line. Browsers may send events for this site only from these origins; leave empty to accept any.</p>
        ${error && html`<${ErrorNote} message=${error} />`}
        <div><button type="submit" disabled=${busy}>${busy ? 'Adding…' : 'Add site'}</button></div>
      </form>
    </section>
  </div>`;
}

function Snippet({ site }: { site: string }) {
  const code = snippet(site);
  return html`<section class="card" aria-labelledby="snippet-title">
    <h2 id="snippet-title">Tracking snippet</h2>
    <p>Add this line to the <code>${'<head>'}</code> of every page of <strong>${site}</strong>:</p>
    <pre class="snippet"><code>${code}</code></pre>
    <${CopyButton} text=${code} label="Copy snippet" />
  </section>`;
}

function Origins({ site, onChange }: { site: Site; onChange: () => void }) {
  const [text, setText] = useState(site.origins.join('\n'));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await patch(`/api/sites/${encodeURIComponent(site.id)}`, { origins: originLines(text) });
      setMessage({ ok: true, text: 'Saved.' });
      onChange();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    }
  };
  return html`<section class="card" aria-labelledby="origins-title">
    <h2 id="origins-title">Allowed origins</h2>
    <form class="stack" onSubmit=${save}>
      <label><span class="visually-hidden">Allowed origins</span>
        <textarea name="origins" rows="3" spellcheck="false" placeholder="https://example.com"
          value=${text} onInput=${(e: Event) => setText(inputValue(e))}></textarea>
      </label>
      <p class="hint">One per line; empty accepts events from any origin.</p>
      ${message && (message.ok ? html`<p class="ok" role="status">${message.text}</p>` : html`<${ErrorNote} message=${message.text} />`)}
      <div><button type="submit" class="secondary">Save origins</button></div>
    </form>
  </section>`;
}

/** The time zones the browser knows (IANA names), for the site's time zone select. */
function timeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };
  try {
    return (intl.supportedValuesOf?.('timeZone') ?? []).filter((z) => z !== 'UTC');
  } catch {
    return [];
  }
}

export const RATE_LIMIT_MAX = 100_000;

/** The rate limit field: "" = unlimited (null); otherwise a whole number 1–100000, or an error text. */
export function rateLimitValue(text: string): { value: number | null } | { error: string } {
  const t = text.trim();
  if (t === '') return { value: null };
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > RATE_LIMIT_MAX) {
    return {
      error: `The rate limit must be a whole number from 1 to ${RATE_LIMIT_MAX.toLocaleString('en-US')}, or empty for unlimited.`,
    };
  }
  return { value: n };
}

function SiteOptions({ site, onChange }: { site: Site; onChange: () => void }) {
  const [tz, setTz] = useState(site.timezone ?? '');
  const [rate, setRate] = useState(site.rate_limit == null ? '' : String(site.rate_limit));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const zones = timeZones();
  // A zone the browser does not list (an alias such as Asia/Calcutta) is still shown as set.
  if (tz && !zones.includes(tz)) zones.unshift(tz);

  const save = async (e: Event) => {
    e.preventDefault();
    const limit = rateLimitValue(rate);
    if ('error' in limit) return setMessage({ ok: false, text: limit.error });
    setBusy(true);
    try {
      const saved = await patch<Site>(`/api/sites/${encodeURIComponent(site.id)}`, {
        timezone: tz === '' ? null : tz,
        rate_limit: limit.value,
      });
      setTz(saved.timezone ?? '');
      setRate(saved.rate_limit == null ? '' : String(saved.rate_limit));
      setMessage({ ok: true, text: 'Saved.' });
      onChange();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    }
    setBusy(false);
  };

  return html`<section class="card" aria-labelledby="options-title">
    <h2 id="options-title">Time zone and rate limit</h2>
    <form class="stack" onSubmit=${save}>
      <label>Time zone
        <select name="timezone" value=${tz} onChange=${(e: Event) => setTz((e.target as HTMLSelectElement).value)}>
          <option value="">UTC (default)</option>
          ${zones.map((z) => html`<option key=${z} value=${z}>${z.replaceAll('_', ' ')}</option>`)}
        </select>
      </label>
      <p class="hint">Days, weeks and months of this site's stats begin at midnight in this zone.</p>
      <label><span>Rate limit <span class="muted">(events per second)</span></span>
        <input name="rate-limit" inputmode="numeric" autocomplete="off" placeholder="Unlimited"
          value=${rate} onInput=${(e: Event) => setRate(inputValue(e))} />
      </label>
      <p class="hint">Events above it are refused (429); bursts of twice the rate pass. Empty: unlimited.</p>
      ${message && (message.ok ? html`<p class="ok" role="status">${message.text}</p>` : html`<${ErrorNote} message=${message.text} />`)}
      <div><button type="submit" class="secondary" disabled=${busy}>Save settings</button></div>
    </form>
  </section>`;
}

/** 256 random bits from the browser's CSPRNG, base64url (43 characters, shell-safe). */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

function SigningSecret({ site, onChange }: { site: Site; onChange: () => void }) {
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const path = `/api/sites/${encodeURIComponent(site.id)}`;
  const set = async (secret: string | null) => {
    setError(null);
    try {
      await patch<Site>(path, { signing_secret: secret });
      setShown(secret);
      onChange();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const isSet = site.signing_secret_set === true;

  return html`<section class="card" aria-labelledby="secret-title">
    <h2 id="secret-title">Signing secret</h2>
    <p class="muted">
      With a secret, batches for this site sent to <code>POST /api/events</code> must carry${' '}
      <code>X-Mallard-Signature: sha256=…</code>, the HMAC-SHA256 of the body keyed with it. Browser events are not affected.
    </p>
    <p class="secret-state" role="status">
      ${isSet ? html`<span class="badge">set</span> A signing secret is set.` : 'No signing secret: batches need no signature.'}
    </p>
    <div class="button-row">
      ${
        isSet
          ? html`<${ConfirmButton} label="Replace secret" confirm="Senders using the old secret will be refused. Replace it?"
              onConfirm=${() => set(newSecret())} />
            <${ConfirmButton} label="Remove secret" confirm="Accept unsigned batches again?" onConfirm=${() => set(null)} />`
          : html`<button type="button" class="secondary" onClick=${() => set(newSecret())}>Generate a secret</button>`
      }
    </div>
    ${error && html`<${ErrorNote} message=${error} />`}
    ${
      shown &&
      html`<div class="secret" role="status">
        <p><strong>New signing secret</strong> — copy it now into your server's configuration. It is shown only once.</p>
        <p class="secret-row"><code class="new-secret">${shown}</code> <${CopyButton} text=${shown} /></p>
        <button type="button" class="link" onClick=${() => setShown(null)}>I have copied it</button>
      </div>`
    }
  </section>`;
}

function ShareLinks({ site }: { site: string }) {
  const path = `/api/sites/${encodeURIComponent(site)}/shares`;
  const links = useApi<ShareLink[]>(path);
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const link = await post<ShareLink>(path, label.trim() ? { label: label.trim() } : {});
      setCreated(`${location.origin}${link.url ?? `/share/${link.token}`}`);
      setLabel('');
      links.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (id: string) => {
    setError(null);
    try {
      await del(`${path}/${id}`);
      links.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return html`<section class="card" aria-labelledby="shares-title">
    <h2 id="shares-title">Share links</h2>
    <p class="muted">Anyone with a share link can see this site's dashboard, read-only, without signing in.</p>
    <form class="inline-form" onSubmit=${create}>
      <label><span class="visually-hidden">Label</span>
        <input name="label" placeholder="Label (optional)" maxlength="100" value=${label} onInput=${(e: Event) => setLabel(inputValue(e))} />
      </label>
      <button type="submit">Create share link</button>
    </form>
    ${
      created &&
      html`<div class="secret" role="status">
        <p><strong>New share link</strong> — copy it now, it is shown only once:</p>
        <p class="secret-row"><a class="share-url" href=${created}>${created}</a> <${CopyButton} text=${created} /></p>
      </div>`
    }
    ${error && html`<${ErrorNote} message=${error} />`}
    ${links.error && html`<${ErrorNote} message=${links.error} retry=${links.reload} />`}
    ${links.data && links.data.length === 0 && html`<${Empty}>No share links.<//>`}
    ${
      links.data &&
      links.data.length > 0 &&
      html`<ul class="item-list share-list">
        ${links.data.map(
          (l) => html`<li key=${l.id}>
            <span>${l.label ?? 'Share link'}</span>
            <span class="muted small">created ${dateTime(l.created_at)}</span>
            <${ConfirmButton} label="Revoke" confirm="Revoke this link?" onConfirm=${() => revoke(l.id)} />
          </li>`,
        )}
      </ul>`
    }
  </section>`;
}

function RemoveSite({ site, onChange }: { site: string; onChange: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    try {
      await del(`/api/sites/${encodeURIComponent(site)}`);
      onChange();
      navigate('/');
    } catch (err) {
      setError(errorText(err));
    }
  };
  return html`<section class="card danger-zone" aria-labelledby="remove-title">
    <h2 id="remove-title">Remove site</h2>
    <p class="muted">Removes the settings and share links of ${site}. Its stored events are kept.</p>
    ${error && html`<${ErrorNote} message=${error} />`}
    <${ConfirmButton} label="Remove" confirm=${`Remove ${site}?`} onConfirm=${remove} />
  </section>`;
}

/** The settings an admin of the site changes; its owners also manage its members and may remove it. */
export function SiteSettings({ site, me, role, onChange }: { site: Site; me: Me; role: Role; onChange: () => void }) {
  return html`<div class="page-grid">
    <${Snippet} site=${site.id} />
    <${Origins} key=${site.id} site=${site} onChange=${onChange} />
    <${SiteOptions} key=${site.id} site=${site} onChange=${onChange} />
    <${SigningSecret} key=${site.id} site=${site} onChange=${onChange} />
    <${Goals} key=${site.id} site=${site.id} />
    <${Imports} key=${site.id} site=${site.id} />
    <${ShieldsCard} key=${site.id} site=${site} onChange=${onChange} />
    <${ReportsCard} key=${site.id} site=${site} onChange=${onChange} />
    <${ImportHistory} key=${site.id} site=${site.id} />
    <${ShareLinks} key=${site.id} site=${site.id} />
    ${role === 'owner' && html`<${MembersCard} key=${site.id} site=${site.id} me=${me} />`}
    ${role === 'owner' && html`<${RemoveSite} site=${site.id} onChange=${onChange} />`}
  </div>`;
}
