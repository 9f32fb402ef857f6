/**
 * Failures that concern the whole page rather than one panel, each with what to do: the
 * server cannot be reached (a banner; the app asks again by itself), a parameter of the
 * page's address is refused (one note, with a button that takes it out), and a site the
 * account cannot open. The sentences come from errors.ts.
 */
import { useEffect, useState } from 'preact/hooks';
import { isUnreachable, onConnection, retryNow } from '../connection.js';
import { type ApiError, noRole, noSite, UNREACHABLE_RETRYING } from '../errors.js';
import { html } from '../html.js';
import { type DashQuery, linkClick, setQuery, type View } from '../router.js';
import type { Me } from '../types.js';
import { Loading } from './ui.js';

export function ConnectionBanner() {
  const [down, setDown] = useState(isUnreachable);
  useEffect(() => onConnection(setDown), []);
  if (!down) return null;
  return html`<div class="error-note connection-banner" role="alert"><span>${UNREACHABLE_RETRYING}</span><button type="button" class="link" onClick=${retryNow}>Retry now</button></div>`;
}

/** The page's address without the refused parameter (a filter, the filters or the segment), and the button's words. */
export function withoutRefused(err: ApiError, query: DashQuery): [string, DashQuery] {
  if (err.param === 'segment') return ['Remove the segment', { ...query, segment: undefined }];
  return err.index === undefined
    ? ['Clear the filters', { ...query, filters: [], unreadFilters: undefined }]
    : ['Remove this filter', { ...query, filters: query.filters.filter((_, i) => i !== err.index) }];
}

export function PageProblem({ err, view, query }: { err: ApiError; view: View; query: DashQuery }) {
  const [label, fixed] = withoutRefused(err, query);
  return html`<div class="error-note" role="alert"><span>${err.message}</span><button type="button" class="secondary small" onClick=${() => setQuery(view, fixed)}>${label}</button></div>`;
}

/** A site missing from the account's list: not there at all, or not the account's to see. */
export function SiteUnavailable({ site, me }: { site: string; me: Me | undefined }) {
  if (!me) return html`<${Loading} />`;
  // The server answers 403 to anyone but the super-admin, whether the site exists or not.
  return html`<section class="card narrow"><h1>${me.super_admin ? `No site “${site}”` : `No access to ${site}`}</h1><p role="alert">${me.super_admin ? noSite(site) : noRole(site)}</p><a href="/" onClick=${linkClick}>See your sites</a></section>`;
}
