/**
 * First-run setup (choose the admin password) and sign-in: e-mail and password, or the
 * admin password alone (the super-admin of setup). `Card` frames the invitation page too.
 */
import { useState } from 'preact/hooks';
import { ApiError, CODE_NEEDED, errorText, post } from '../api.js';
import { html } from '../html.js';
import { ErrorNote } from './ui.js';

export function Card({ title, intro, children }: { title: string; intro: string; children: unknown }) {
  return html`<main class="auth-screen">
    <div class="auth-card">
      <p class="brand"><img src=${brandIcon()} alt="" width="28" height="28" /> Mallard Metrics</p>
      <h1>${title}</h1>
      <p class="muted">${intro}</p>
      ${children}
    </div>
  </main>`;
}

/** The favicon's URL (hashed by the build), reused as the logo. */
export function brandIcon(): string {
  return document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href ?? '';
}

export function Setup({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (password.length < 8) return setError('Choose a password of at least 8 characters.');
    if (password !== repeat) return setError('The two passwords differ.');
    setBusy(true);
    setError(null);
    try {
      await post('/api/auth/setup', { password });
      onDone();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return html`<${Card}
    title="Welcome"
    intro="Choose the admin password for this Mallard Metrics server. You will use it to sign in to the dashboard."
  >
    <form class="stack" onSubmit=${submit}>
      <label>New password
        <input type="password" name="password" autocomplete="new-password" minlength="8" required
          value=${password} onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} />
      </label>
      <label>Repeat the password
        <input type="password" name="repeat" autocomplete="new-password" minlength="8" required
          value=${repeat} onInput=${(e: Event) => setRepeat((e.target as HTMLInputElement).value)} />
      </label>
      <p class="hint">At least 8 characters. It is stored as an Argon2id hash.</p>
      ${error && html`<${ErrorNote} message=${error} />`}
      <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Set password and continue'}</button>
    </form>
  <//>`;
}

export function Login({ onDone, notice }: { onDone: () => void; notice?: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Asked for once the server says the account needs a second factor.
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const totp = code?.trim() ? { totp: code.trim() } : {};
      await post('/api/auth/login', email.trim() ? { email: email.trim(), password, ...totp } : { password, ...totp });
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.message === CODE_NEEDED && code === null) setCode('');
      else setError(errorText(err));
      setBusy(false);
    }
  };
  return html`<${Card} title="Sign in" intro=${notice ?? 'Enter your e-mail address and password to open the dashboard.'}>
    <form class="stack" onSubmit=${submit}>
      <label>E-mail
        <input type="email" name="email" autocomplete="username" maxlength="254" autofocus
          value=${email} onInput=${(e: Event) => setEmail((e.target as HTMLInputElement).value)} />
      </label>
      <p class="hint">Leave it empty to sign in with the admin password.</p>
      <label>Password
        <input type="password" name="password" autocomplete="current-password" required
          value=${password} onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} />
      </label>
      ${
        code !== null &&
        html`<label>Authentication code
          <input name="totp" autocomplete="one-time-code" inputmode="numeric" maxlength="64" required autofocus
            value=${code} onInput=${(e: Event) => setCode((e.target as HTMLInputElement).value)} />
        </label>
        <p class="hint">${CODE_NEEDED}</p>`
      }
      ${error && html`<${ErrorNote} message=${error} />`}
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  <//>`;
}
