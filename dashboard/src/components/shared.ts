/**
 * The read-only view behind a share link (`/share/<token>`): no sign-in and no admin UI.
 * The token is sent as `auth=` with every request; `GET /api/share` says which site it shows.
 */
import { setShareToken } from '../api.js';
import { html } from '../html.js';
import type { Location } from '../router.js';
import { useApi } from '../use-api.js';
import { Dashboard } from './dashboard.js';
import { Header, SiteTabs } from './shell.js';
import { ErrorNote, Loading } from './ui.js';

export function SharedDashboard({ loc, token }: { loc: Location; token: string }) {
  setShareToken(token);
  const share = useApi<{ site_id: string }>('/api/share');
  const home = `/share/${encodeURIComponent(token)}`;
  return html`<div class="app shared">
    <${Header} home=${home}>
      ${share.data && html`<p class="shared-site"><strong>${share.data.site_id}</strong> <span class="badge">shared, read-only</span></p>`}
    <//>
    <main class="content">
      ${share.error && html`<section class="card narrow"><h1>This link does not work</h1><${ErrorNote} message=${share.error} /></section>`}
      ${!share.data && !share.error && html`<${Loading} />`}
      ${
        share.data &&
        html`<${SiteTabs} view=${loc.view} loc=${loc} tabs=${['overview', 'behavior']} />
          <${Dashboard} siteId=${share.data.site_id} view=${loc.view} query=${loc.query} />`
      }
    </main>
  </div>`;
}
