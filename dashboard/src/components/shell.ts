/**
 * The signed-in frame: header (brand, site picker, navigation — sites, API keys, users for
 * the super-admin, account —, sign out) and the page the URL names. The sites list and who
 * is signed in (with their role per site) are loaded once here; the sites list is refreshed
 * after a change. A viewer gets no Settings tab: the server would refuse every change.
 */
import { useEffect, useMemo } from 'preact/hooks';
import { errorText, post } from '../api.js';
import { html } from '../html.js';
import { href, type Location, linkClick, navigate, type Tab, type View } from '../router.js';
import type { Me, Role, Site } from '../types.js';
import { type Loaded, useApi } from '../use-api.js';
import { AccountPage } from './account.js';
import { brandIcon } from './auth.js';
import { Dashboard } from './dashboard.js';
import { DemoBanner } from './demo.js';
import { SiteUnavailable } from './errors.js';
import { KeysPage } from './keys.js';
import { SiteSettings, SitesPage } from './sites.js';
import { ErrorNote, Loading } from './ui.js';
import { UnregisteredSites } from './unregistered-sites.js';
import { UsersPage } from './users.js';
import { WaitForFirstEvent } from './waiting.js';

export function Header({ children, home = '/' }: { children?: unknown; home?: string }) {
  return html`<header class="topbar">
    <a class="brand" href=${home} onClick=${linkClick}>
      <img src=${brandIcon()} alt="" width="28" height="28" />
      <span>Mallard Metrics</span>
    </a>
    ${children}
  </header>`;
}

function SitePicker({ sites, current, view, loc }: { sites: Site[]; current: string; view: View; loc: Location }) {
  const tab = view.page === 'site' ? view.tab : 'overview';
  const change = (e: Event) => {
    const site = (e.target as HTMLSelectElement).value;
    // Filters rarely make sense on another site, and segments belong to one; the period does.
    navigate(href({ page: 'site', site, tab }, { ...loc.query, filters: [], unreadFilters: undefined, segment: undefined }));
  };
  // A site the account cannot open (or that does not exist) is no choice: the picker offers only its own.
  const listed = sites.some((s) => s.id === current);
  return html`<label class="site-picker">
    <span class="visually-hidden">Site</span>
    <select onChange=${change} value=${listed ? current : ''}>
      ${!listed && html`<option value="" disabled>Choose a site</option>`}
      ${sites.map((s) => html`<option key=${s.id} value=${s.id}>${s.id}</option>`)}
    </select>
  </label>`;
}

export function Shell({ loc, onSignedOut }: { loc: Location; onSignedOut: () => void }) {
  const sites = useApi<Site[]>('/api/sites');
  const me = useApi<Me>('/api/auth/me');
  // Asked again when the sites list changes: creating a site makes its creator the owner.
  useEffect(() => me.reload(), [sites.data]);
  const { view } = loc;
  // The same element while only the sites list changes: its arrival, in the middle of the
  // overview's loading, rendered every panel again for the sake of the site picker (every
  // panel loaded at 10M events, 15 loads each: median 535–564 → 420–458 ms).
  const dashboard = useMemo(
    () =>
      view.page === 'site'
        ? html`<${WaitForFirstEvent} key=${view.site} siteId=${view.site}>
            <${Dashboard} siteId=${view.site} view=${view} query=${loc.query} />
          <//>`
        : null,
    [loc],
  );
  const signOut = async () => {
    try {
      await post('/api/auth/logout');
    } catch (err) {
      console.warn(errorText(err));
    }
    onSignedOut();
  };
  const nav = (to: string, label: string, active: boolean) =>
    html`<a href=${to} onClick=${linkClick} aria-current=${active ? 'page' : undefined}>${label}</a>`;

  return html`<div class="app">
    <${Header}>
      ${view.page === 'site' && sites.data && html`<${SitePicker} sites=${sites.data} current=${view.site} view=${view} loc=${loc} />`}
      <nav class="topnav" aria-label="Main">
        ${nav('/', 'Sites', view.page === 'sites')}
        ${nav('/keys', 'API keys', view.page === 'keys')}
        ${me.data?.super_admin && nav('/users', 'Users', view.page === 'users')}
        ${nav('/account', 'Account', view.page === 'account')}
        <button type="button" class="secondary small" onClick=${signOut}>Sign out</button>
      </nav>
    <//>
    <main class="content">${page(loc, sites, me.data, dashboard)}</main>
  </div>`;
}

function page(loc: Location, sites: Loaded<Site[]>, me: Me | undefined, dashboard: unknown) {
  const { view } = loc;
  const roleOn = (site: string): Role | undefined => me?.sites.find((s) => s.site_id === site)?.role;
  switch (view.page) {
    case 'sites':
      return html`<${SitesPage} sites=${sites} me=${me}>
        ${me?.super_admin && html`<${UnregisteredSites} onRegistered=${sites.reload} />`}
      <//>`;
    case 'keys':
      return html`<${KeysPage} sites=${(sites.data ?? []).filter((s) => roleOn(s.id) !== 'viewer')} allSites=${me?.super_admin === true} />`;
    case 'users':
      return me?.super_admin ? html`<${UsersPage} me=${me} />` : html`<${Loading} />`;
    case 'account':
      return html`<${AccountPage} />`;
    case 'site': {
      if (sites.error && !sites.data) return html`<${ErrorNote} message=${sites.error} retry=${sites.reload} />`;
      // The overview needs only the site's id: it loads alongside the sites list, not after it.
      if ((!sites.data || !me) && view.tab === 'settings') return html`<${Loading} />`;
      const site = sites.data?.find((s) => s.id === view.site);
      if (sites.data && !site) return html`<${SiteUnavailable} site=${view.site} me=${me} />`;
      const role = roleOn(view.site);
      const tabs: Tab[] = role === 'viewer' ? ['overview', 'behavior'] : ['overview', 'behavior', 'settings'];
      if (view.tab === 'settings' && site && me && role === 'viewer') {
        return html`<${SiteTabs} view=${view} loc=${loc} tabs=${tabs} />
          <section class="card narrow">
            <h1>Settings of ${site.id}</h1>
            <p>You are a viewer of ${site.id}: you can see its stats, but not change its settings. Ask an owner for another role.</p>
          </section>`;
      }
      return html`<${SiteTabs} view=${view} loc=${loc} tabs=${tabs} />
        ${site?.demo && html`<${DemoBanner} siteId=${site.id} onRemoved=${sites.reload} />`}
        ${
          view.tab === 'settings' && site && me
            ? html`<${SiteSettings} site=${site} me=${me} role=${role ?? 'viewer'} onChange=${sites.reload} />`
            : dashboard
        }`;
    }
    default:
      return html`<section class="card narrow">
        <h1>Page not found</h1>
        <p><a href="/" onClick=${linkClick}>Back to your sites</a></p>
      </section>`;
  }
}

export function SiteTabs({
  view,
  loc,
  tabs = ['overview', 'behavior', 'settings'],
}: {
  view: View;
  loc: Location;
  tabs?: Tab[];
}) {
  if (view.page !== 'site' && view.page !== 'share') return null;
  const labels: Record<Tab, string> = { overview: 'Overview', behavior: 'Behavior', settings: 'Settings' };
  return html`<nav class="tabs" aria-label="Site">
    ${tabs.map((tab) => {
      const to = href({ ...view, tab }, loc.query);
      return html`<a key=${tab} href=${to} onClick=${linkClick} aria-current=${view.tab === tab ? 'page' : undefined}>${labels[tab]}</a>`;
    })}
  </nav>`;
}
