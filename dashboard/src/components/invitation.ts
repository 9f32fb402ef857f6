/**
 * `/invitations/<token>`: the page an invitation link opens. It names the site, the address
 * and the role; a new address chooses a password, an existing user gives theirs. Accepting
 * signs in, and the page then opens that site's dashboard (a fresh page: it arrives signed in).
 */
import { useState } from 'preact/hooks';
import { errorText, post } from '../api.js';
import { html } from '../html.js';
import type { InvitationInfo } from '../types.js';
import { useApi } from '../use-api.js';
import { Card } from './auth.js';
import { ErrorNote, Loading } from './ui.js';

export function InvitationPage({ token }: { token: string }) {
  const path = `/api/invitations/${encodeURIComponent(token)}`;
  const info = useApi<InvitationInfo>(path);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const d = info.data;
  if (!d)
    return html`<main class="auth-screen">${info.error ? html`<${ErrorNote} message=${info.error} />` : html`<${Loading} />`}</main>`;
  const submit = (e: Event) => {
    e.preventDefault();
    post(`${path}/accept`, { password }).then(
      () => location.assign(`/sites/${encodeURIComponent(d.site_id)}`),
      (err) => setError(errorText(err)),
    );
  };
  return html`<${Card} title=${`Join ${d.site_id}`} intro=${`You are invited to ${d.site_id} as ${d.role}, with the address ${d.email}.`}>
    <form class="stack" onSubmit=${submit}>
      <label>${d.existing_user ? 'Your password' : 'Choose a password (at least 8 characters)'}
        <input type="password" name="password" required minlength=${d.existing_user ? 1 : 8}
          autocomplete=${d.existing_user ? 'current-password' : 'new-password'}
          value=${password} onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} />
      </label>
      ${error && html`<${ErrorNote} message=${error} />`}
      <button type="submit">Accept and open ${d.site_id}</button>
    </form>
  <//>`;
}
