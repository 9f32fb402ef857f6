/**
 * The Account page: change your password (current + new + repeat), and two-factor sign-in
 * (two-factor.ts). The server ends your
 * other sessions; this one stays signed in. Wrong current passwords count towards the
 * sign-in lockout, whose wait the error names.
 */
import { useState } from 'preact/hooks';
import { errorText, post } from '../api.js';
import { html } from '../html.js';
import { linkClick } from '../router.js';
import { TwoFactorCard } from './two-factor.js';
import { ErrorNote } from './ui.js';

const value = (e: Event) => (e.target as HTMLInputElement).value;

export function AccountPage() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(null);
    if (next.length < 8) return setError('The new password needs at least 8 characters.');
    if (next !== repeat) return setError('The two new passwords differ.');
    if (next === current) return setError('The new password is the same as the current one.');
    setBusy(true);
    setError(null);
    try {
      const r = await post<{ password_changed: boolean; other_sessions_ended: number }>('/api/auth/password', {
        current_password: current,
        new_password: next,
      });
      const n = r.other_sessions_ended;
      setDone(
        `Password changed. ${
          n === 0 ? 'No other sessions were open' : `${n} other session${n === 1 ? ' was' : 's were'} signed out`
        }; this one stays signed in. API keys keep working.`,
      );
      setCurrent('');
      setNext('');
      setRepeat('');
    } catch (err) {
      setError(errorText(err));
    }
    setBusy(false);
  };

  return html`<div class="page-grid">
    <section class="card" aria-labelledby="password-title">
      <h1 id="password-title">Change password</h1>
      <p class="muted">Your password opens this dashboard. Changing it signs you out in every other browser.</p>
      <form class="stack" onSubmit=${submit}>
        <label>Current password
          <input type="password" name="current-password" autocomplete="current-password" required
            value=${current} onInput=${(e: Event) => setCurrent(value(e))} />
        </label>
        <label>New password
          <input type="password" name="new-password" autocomplete="new-password" minlength="8" maxlength="256" required
            value=${next} onInput=${(e: Event) => setNext(value(e))} />
        </label>
        <label>Repeat the new password
          <input type="password" name="repeat-password" autocomplete="new-password" minlength="8" maxlength="256" required
            value=${repeat} onInput=${(e: Event) => setRepeat(value(e))} />
        </label>
        <p class="hint">At least 8 characters. Wrong current passwords count towards the sign-in lockout.</p>
        ${error && html`<${ErrorNote} message=${error} />`}
        ${done && html`<p class="ok" role="status">${done}</p>`}
        <div><button type="submit" disabled=${busy}>${busy ? 'Changing…' : 'Change password'}</button></div>
      </form>
    </section>
    <${TwoFactorCard} />
    <section class="card" aria-labelledby="signing-in-title">
      <h2 id="signing-in-title">About signing in</h2>
      <ul class="notes">
        <li>A sign-in lasts 7 days in this browser. Restarting the server signs everyone out.</li>
        <li>After several wrong passwords from one address (5 within 15 minutes by default) signing in and password
          changes from it are paused for a while.</li>
        <li>If the server is started with <code>MALLARD_ADMIN_PASSWORD</code>, its next start sets the admin password again.</li>
        <li>Scripts and servers use <a href="/keys" onClick=${linkClick}>API keys</a>, which a password change leaves working.</li>
      </ul>
    </section>
  </div>`;
}
