/**
 * Two-factor sign-in on the Account page: set up (the server's QR code and secret for an
 * authenticator app), turned on by a code from it (the recovery codes shown once), turned
 * off with the password. docs/API.md, "Two-factor sign-in".
 */
import { useEffect, useState } from 'preact/hooks';
import { errorText, get, post } from '../api.js';
import { html } from '../html.js';
import { ErrorNote } from './ui.js';

interface Setup {
  secret: string;
  otpauth_url: string;
  qr_svg: string;
}

const value = (e: Event) => (e.target as HTMLInputElement).value;
/** The server's SVG as an image (the page's policy allows data: images, not inline markup). */
const svgImage = (svg: string) => `data:image/svg+xml;base64,${btoa(svg)}`;

export function TwoFactorCard() {
  const [enabled, setEnabled] = useState<boolean | null>(null);
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [input, setInput] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    get<{ totp_enabled: boolean }>('/api/auth/me').then(
      (me) => setEnabled(me.totp_enabled),
      (err) => setError(errorText(err)),
    );
  }, []);

  const act = (fn: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await fn();
      setInput('');
    } catch (err) {
      setError(errorText(err));
    }
  };
  const begin = act(async () => setSetup(await post<Setup>('/api/auth/totp/setup')));
  const turnOn = act(async () => {
    const r = await post<{ recovery_codes: string[] }>('/api/auth/totp/enable', { code: input.trim() });
    setCodes(r.recovery_codes);
    setSetup(null);
    setEnabled(true);
  });
  const turnOff = act(async () => {
    await post('/api/auth/totp/disable', { password: input });
    setCodes(null);
    setEnabled(false);
  });

  let body: unknown = null;
  if (codes) {
    body = html`<p class="ok" role="status">Two-factor sign-in is on. Keep these recovery codes somewhere safe: each signs
        in once without your device, and they are shown only now.</p>
      <ul class="recovery-codes">${codes.map((c) => html`<li key=${c}><code>${c}</code></li>`)}</ul>`;
  } else if (enabled) {
    body = html`<p>Two-factor sign-in is <strong>on</strong>: signing in asks for a code from your authenticator app.</p>
      <form class="stack" onSubmit=${turnOff}>
        <label>Password
          <input type="password" name="totp-off-password" autocomplete="current-password" required value=${input}
            onInput=${(e: Event) => setInput(value(e))} />
        </label>
        <div><button type="submit" class="secondary">Turn off</button></div>
      </form>`;
  } else if (setup) {
    body = html`<p>Scan this with an authenticator app, or type the key into it, then enter the code it shows.</p>
      <img class="qr" src=${svgImage(setup.qr_svg)} alt="QR code of the authenticator key" width="180" height="180" />
      <p>Key: <code data-secret=${setup.secret}>${setup.secret}</code></p>
      <form class="stack" onSubmit=${turnOn}>
        <label>Code from the app
          <input name="totp-code" autocomplete="one-time-code" inputmode="numeric" maxlength="6" required value=${input}
            onInput=${(e: Event) => setInput(value(e))} />
        </label>
        <div><button type="submit">Turn on</button></div>
      </form>`;
  } else if (enabled === false) {
    body = html`<p class="muted">Off: your password alone signs you in.</p>
      <div><button type="button" class="secondary" onClick=${begin}>Set up two-factor sign-in</button></div>`;
  }
  return html`<section class="card" aria-labelledby="two-factor-title">
    <h2 id="two-factor-title">Two-factor sign-in</h2>
    ${body}
    ${error && html`<${ErrorNote} message=${error} />`}
  </section>`;
}
