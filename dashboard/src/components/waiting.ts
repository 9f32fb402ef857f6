/**
 * A site's first minutes: until its first event is stored, its dashboard would be empty
 * panels. Instead it shows the tracking snippet to copy and "Waiting for the first page
 * view…", asking `GET /api/sites/:id/has-events` (cheap: no event is read) every couple of
 * seconds while the tab is visible (use-api.ts), and shows the dashboard by itself once an
 * event has landed. It asks nothing more after that, nor once the page is left (unmounted).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { useApi } from '../use-api.js';
import { snippet } from './sites.js';
import { CopyButton } from './ui.js';

/** How often an empty site's dashboard asks whether the first event has arrived. */
export const FIRST_EVENT_POLL_MS = 2000;

export function WaitForFirstEvent({ siteId, children }: { siteId: string; children: ComponentChildren }) {
  const [seen, setSeen] = useState(false);
  const path = seen ? null : `/api/sites/${encodeURIComponent(siteId)}/has-events`;
  const check = useApi<{ has_events: boolean }>(path, {}, FIRST_EVENT_POLL_MS);
  const arrived = check.data?.has_events === true;
  useEffect(() => {
    if (arrived) setSeen(true);
  }, [arrived]);
  // While the answer is on its way (nearly every site has events) and after an error (the
  // panels show their own), the dashboard: its requests need not wait for this one.
  if (seen || check.data?.has_events !== false) return children;
  return html`<${Waiting} siteId=${siteId} />`;
}

function Waiting({ siteId }: { siteId: string }) {
  const code = snippet(siteId);
  const test = `curl -X POST ${location.origin}/api/event -H 'Content-Type: application/json' -d '{"d":"${siteId}","n":"pageview","u":"https://${siteId}/"}'`;
  return html`<section class="card waiting" aria-labelledby="waiting-title">
    <p class="waiting-state" role="status">
      <span class="pulse live" aria-hidden="true"></span>
      <strong id="waiting-title">Waiting for the first page view…</strong>
    </p>
    <p>No events for <strong>${siteId}</strong> yet. Add this line to the <code>${'<head>'}</code> of every page of the site:</p>
    <pre class="snippet"><code>${code}</code></pre>
    <${CopyButton} text=${code} label="Copy snippet" />
    <p class="hint waiting-hint">
      This page turns into the dashboard as soon as the first event arrives; no need to reload. The script does not
      count pages opened from a file or from <code>localhost</code> (unless the tag has <code>data-allow-localhost</code>).
      To try it from a terminal:
    </p>
    <pre class="snippet"><code>${test}</code></pre>
  </section>`;
}
