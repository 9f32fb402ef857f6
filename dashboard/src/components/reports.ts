/**
 * A site's e-mail reports and traffic alerts (site settings): who gets the weekly and monthly
 * reports, the alert thresholds and their recipients, one address per line; saved as a whole
 * (PATCH replaces both), and a test report sent now. The server names a bad entry
 * (`reports.weekly[1]: not an e-mail address`) and says when no SMTP server is configured.
 */
import { useState } from 'preact/hooks';
import { errorText, patch, post } from '../api.js';
import { html } from '../html.js';
import type { Site } from '../types.js';
import { ErrorNote } from './ui.js';

type Note = { ok: boolean; text: string } | null;

const lines = (text: string) =>
  text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
/** An empty box is no threshold; anything else goes to the server as a number for it to judge. */
const threshold = (text: string) => (text.trim() === '' ? null : Number(text.trim()));

export function ReportsCard({ site, onChange }: { site: Site; onChange: () => void }) {
  const reports = site.reports ?? { weekly: [], monthly: [] };
  const alerts = site.alerts ?? { spike_visitors: null, drop_visitors: null, emails: [] };
  const [form, setForm] = useState({
    weekly: reports.weekly.join('\n'),
    monthly: reports.monthly.join('\n'),
    spike: alerts.spike_visitors?.toString() ?? '',
    drop: alerts.drop_visitors?.toString() ?? '',
    emails: alerts.emails.join('\n'),
  });
  const [note, setNote] = useState<Note>(null);
  const [testTo, setTestTo] = useState('');
  const [testNote, setTestNote] = useState<Note>(null);
  const field = (name: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [name]: (e.target as HTMLInputElement | HTMLTextAreaElement).value });

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const saved = await patch<Site>(`/api/sites/${encodeURIComponent(site.id)}`, {
        reports: { weekly: lines(form.weekly), monthly: lines(form.monthly) },
        alerts: { spike_visitors: threshold(form.spike), drop_visitors: threshold(form.drop), emails: lines(form.emails) },
      });
      // The server's normalized addresses (lower case, no duplicates) go back into the boxes.
      setForm({
        weekly: saved.reports?.weekly.join('\n') ?? '',
        monthly: saved.reports?.monthly.join('\n') ?? '',
        spike: saved.alerts?.spike_visitors?.toString() ?? '',
        drop: saved.alerts?.drop_visitors?.toString() ?? '',
        emails: saved.alerts?.emails.join('\n') ?? '',
      });
      setNote({ ok: true, text: 'Saved.' });
      onChange();
    } catch (err) {
      setNote({ ok: false, text: errorText(err) });
    }
  };

  const sendTest = async (e: Event) => {
    e.preventDefault();
    setTestNote(null);
    try {
      await post(`/api/sites/${encodeURIComponent(site.id)}/reports/test`, { to: lines(testTo) });
      setTestNote({ ok: true, text: `Sent last week's report to ${lines(testTo).join(', ')}.` });
    } catch (err) {
      setTestNote({ ok: false, text: errorText(err) });
    }
  };

  const status = (n: Note) =>
    n && (n.ok ? html`<p class="ok" role="status">${n.text}</p>` : html`<${ErrorNote} message=${n.text} />`);

  return html`<section class="card" aria-labelledby="reports-title">
    <h2 id="reports-title">Reports and alerts</h2>
    <p class="muted">E-mailed by the server (it needs an SMTP server: MALLARD_SMTP_URL). One address per line.</p>
    <form class="stack" onSubmit=${save}>
      <label>Weekly report to
        <textarea name="reports-weekly" rows="2" spellcheck="false" placeholder="you@example.com" value=${form.weekly}
          onInput=${field('weekly')}></textarea>
      </label>
      <label>Monthly report to
        <textarea name="reports-monthly" rows="2" spellcheck="false" value=${form.monthly} onInput=${field('monthly')}></textarea>
      </label>
      <p class="hint">Each report covers the last whole week (Monday to Sunday) or month, beside the one before.</p>
      <label>Alert when visitors now reach
        <input name="alerts-spike" inputmode="numeric" placeholder="off" value=${form.spike} onInput=${field('spike')} />
      </label>
      <label>Alert when visitors in 12 hours are fewer than
        <input name="alerts-drop" inputmode="numeric" placeholder="off" value=${form.drop} onInput=${field('drop')} />
      </label>
      <label>Alerts to
        <textarea name="alerts-emails" rows="2" spellcheck="false" value=${form.emails} onInput=${field('emails')}></textarea>
      </label>
      ${status(note)}
      <div><button type="submit" class="secondary">Save reports and alerts</button></div>
    </form>
    <form class="stack" onSubmit=${sendTest}>
      <label>Send a test report to
        <input name="reports-test" type="email" multiple placeholder="you@example.com" value=${testTo}
          onInput=${(e: Event) => setTestTo((e.target as HTMLInputElement).value)} />
      </label>
      <div><button type="submit" class="secondary">Send now</button></div>
    </form>
    ${status(testNote)}
  </section>`;
}
