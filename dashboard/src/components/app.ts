/**
 * The root: a share link shows its read-only dashboard, an invitation link its accept page;
 * otherwise the server says whether the admin password must be chosen first (setup), whether
 * we are signed in (login), and then the signed-in shell takes over. The page arrives with that status in it, so a
 * signed-in overview asks for its numbers at once.
 */
import { useEffect, useState } from 'preact/hooks';
import { errorText, get, onSignedOut } from '../api.js';
import { SESSION_ENDED } from '../errors.js';
import { html } from '../html.js';
import { useLocation } from '../router.js';
import type { AuthStatus } from '../types.js';
import { Login, Setup } from './auth.js';
import { ConnectionBanner } from './errors.js';
import { InvitationPage } from './invitation.js';
import { SharedDashboard } from './shared.js';
import { Shell } from './shell.js';
import { ErrorNote, Loading } from './ui.js';

export function App() {
  const loc = useLocation();
  const page =
    loc.view.page === 'share'
      ? html`<${SharedDashboard} loc=${loc} token=${loc.view.token} />`
      : loc.view.page === 'invitation'
        ? html`<${InvitationPage} token=${loc.view.token} />`
        : html`<${Admin} />`;
  return html`<${ConnectionBanner} />${page}`;
}

/** The status the server put in the page (routes/dashboard.ts), or null: ask for it. */
function servedStatus(): AuthStatus | null {
  const boot = document.querySelector('meta[name="mallard-auth"]')?.getAttribute('content');
  if (boot === 'setup') return { setup_required: true, authenticated: false };
  if (boot === 'signed-in' || boot === 'signed-out') return { setup_required: false, authenticated: boot === 'signed-in' };
  return null;
}

function Admin() {
  const loc = useLocation();
  const [status, setStatus] = useState<AuthStatus | null>(servedStatus);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const check = () =>
    get<AuthStatus>('/api/auth/status').then(
      (s) => {
        setError(null);
        setStatus(s);
      },
      (err: unknown) => setError(errorText(err)),
    );
  useEffect(() => {
    if (!status) check();
    // A 401 anywhere (the session expired) brings the sign-in screen back.
    onSignedOut(() => {
      setNotice(SESSION_ENDED);
      setStatus((s) => (s ? { ...s, authenticated: false } : s));
    });
  }, []);

  if (error)
    return html`<main class="auth-screen"><div class="auth-card"><${ErrorNote} message=${error} retry=${check} /></div></main>`;
  if (!status) return html`<main class="auth-screen"><${Loading} /></main>`;
  if (status.setup_required) return html`<${Setup} onDone=${check} />`;
  if (!status.authenticated) {
    return html`<${Login}
      notice=${notice}
      onDone=${() => {
        setNotice(null);
        check();
      }}
    />`;
  }
  return html`<${Shell}
    loc=${loc}
    onSignedOut=${() => {
      setNotice('You are signed out.');
      setStatus({ setup_required: false, authenticated: false });
    }}
  />`;
}
