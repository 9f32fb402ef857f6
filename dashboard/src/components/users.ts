/**
 * People: the Users page of the super-admin (list, create, remove accounts) and the Members
 * card of a site's settings, shown to its owners (list, change a role, remove, invite: the
 * single-use link appears to copy, and is e-mailed too when the server has SMTP).
 */
import { useState } from 'preact/hooks';
import { del, errorText, post, request } from '../api.js';
import { dateTime } from '../format.js';
import { html } from '../html.js';
import type { Me, Member, User } from '../types.js';
import { useApi } from '../use-api.js';
import { ConfirmButton, CopyButton, ErrorNote } from './ui.js';

const ROLES = ['viewer', 'admin', 'owner'];
const value = (e: Event) => (e.target as HTMLInputElement).value;

/** A list loaded from `path`, with an action runner that shows its error and reloads the list. */
function useList<T>(path: string) {
  const list = useApi<T[]>(path);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      list.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return { list, act, note: (error ?? list.error) && html`<${ErrorNote} message=${error ?? list.error} />` };
}

export function UsersPage({ me }: { me: Me }) {
  const { list, act, note } = useList<User>('/api/users');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const create = (e: Event) => {
    e.preventDefault();
    return act(async () => {
      await post('/api/users', { email: email.trim(), password });
      setEmail('');
      setPassword('');
    });
  };
  return html`<section class="card" aria-labelledby="users-title">
    <h1 id="users-title">Users</h1>
    <p class="muted">A user sees only the sites they have a role on (given in a site's settings).</p>
    <ul class="item-list user-list">
      ${list.data?.map(
        (u) => html`<li key=${u.id}>
          <span class="user-email">${u.email ?? 'Admin (password only)'}</span>
          <span class="muted small">${u.super_admin ? 'super-admin' : `since ${dateTime(u.created_at)}`}</span>
          ${u.id !== me.id && !u.super_admin && html`<${ConfirmButton} label="Remove" confirm=${`Remove ${u.email}?`} onConfirm=${() => act(() => del(`/api/users/${u.id}`))} />`}
        </li>`,
      )}
    </ul>
    <form class="inline-form" onSubmit=${create}>
      <label>E-mail <input type="email" name="email" required value=${email} onInput=${(e: Event) => setEmail(value(e))} /></label>
      <label>Password <input type="password" name="password" required minlength="8" autocomplete="new-password" value=${password} onInput=${(e: Event) => setPassword(value(e))} /></label>
      <button type="submit">Create user</button>
    </form>
    ${note}
  </section>`;
}

export function MembersCard({ site, me }: { site: string; me: Me }) {
  const path = `/api/sites/${encodeURIComponent(site)}/members`;
  const { list, act, note } = useList<Member>(path);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const [link, setLink] = useState<{ url: string; expires_at: string } | null>(null);
  const roles = (current: string, onChange: (e: Event) => unknown, label: string) =>
    html`<select aria-label=${label} value=${current} onChange=${onChange}>${ROLES.map((r) => html`<option key=${r}>${r}</option>`)}</select>`;
  const invite = (e: Event) => {
    e.preventDefault();
    return act(async () => {
      const made = await post<{ url: string; expires_at: string }>(`/api/sites/${encodeURIComponent(site)}/invitations`, {
        email: email.trim(),
        role,
      });
      setLink({ ...made, url: location.origin + made.url });
      setEmail('');
    });
  };
  return html`<section class="card" aria-labelledby="members-title">
    <h2 id="members-title">Members</h2>
    <p class="muted">Viewers see the stats, admins also change the settings, owners also manage members.</p>
    <ul class="item-list member-list">
      ${list.data?.map(
        (m) => html`<li key=${m.user_id}>
          <span class="member-email">${m.email}${m.user_id === me.id ? ' (you)' : ''}</span>
          ${roles(m.role, (e) => act(() => request('PUT', `${path}/${m.user_id}`, { body: { role: value(e) } })), `Role of ${m.email}`)}
          <${ConfirmButton} label="Remove" confirm=${`Remove ${m.email}?`} onConfirm=${() => act(() => del(`${path}/${m.user_id}`))} />
        </li>`,
      )}
    </ul>
    <form class="inline-form" onSubmit=${invite}>
      <label>Invite by e-mail <input type="email" name="invite-email" required value=${email} onInput=${(e: Event) => setEmail(value(e))} /></label>
      ${roles(role, (e) => setRole(value(e)), 'Role')}
      <button type="submit">Invite</button>
    </form>
    ${
      link &&
      html`<div class="secret" role="status">
        <p>Send this link; it works once, until ${dateTime(link.expires_at)}:</p>
        <p class="secret-row"><a class="invitation-url" href=${link.url}>${link.url}</a> <${CopyButton} text=${link.url} /></p>
      </div>`
    }
    ${note}
  </section>`;
}
