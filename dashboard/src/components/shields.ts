/**
 * A site's shields (site settings): the addresses, countries, pages and hostnames whose
 * traffic is not counted, one list per text box, one entry per line. Saved as a whole
 * (PATCH replaces the site's shields); the server names a bad entry (`shields.ips[2]: …`).
 */
import { useState } from 'preact/hooks';
import { errorText, patch } from '../api.js';
import { html } from '../html.js';
import type { Site } from '../types.js';
import { ErrorNote } from './ui.js';

type Shields = NonNullable<Site['shields']>;
type ListName = keyof Shields;

const LISTS: readonly { name: ListName; label: string; hint: string; placeholder: string }[] = [
  { name: 'ips', label: 'IP addresses', hint: 'Addresses or ranges (CIDR), e.g. your office.', placeholder: '203.0.113.0/24' },
  { name: 'countries', label: 'Countries', hint: 'Two-letter codes.', placeholder: 'XX' },
  { name: 'pages', label: 'Pages', hint: '* matches any characters.', placeholder: '/admin/*' },
  {
    name: 'hostnames',
    label: 'Allowed hostnames',
    hint: 'When set, events on other hostnames are not counted (e.g. staging copies).',
    placeholder: 'example.com\n*.example.com',
  },
];

const lines = (text: string) =>
  text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
const NONE: Shields = { ips: [], countries: [], pages: [], hostnames: [] };

export function ShieldsCard({ site, onChange }: { site: Site; onChange: () => void }) {
  const current = site.shields ?? NONE;
  const [text, setText] = useState<Record<ListName, string>>({
    ips: current.ips.join('\n'),
    countries: current.countries.join('\n'),
    pages: current.pages.join('\n'),
    hostnames: current.hostnames.join('\n'),
  });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    const shields = Object.fromEntries(LISTS.map((l) => [l.name, lines(text[l.name])])) as Shields;
    try {
      const saved = await patch<Site>(`/api/sites/${encodeURIComponent(site.id)}`, { shields });
      const s = saved.shields ?? NONE;
      // The server's normalized entries (upper-case countries, punycode hostnames) go back into the boxes.
      setText({
        ips: s.ips.join('\n'),
        countries: s.countries.join('\n'),
        pages: s.pages.join('\n'),
        hostnames: s.hostnames.join('\n'),
      });
      setMessage({ ok: true, text: 'Saved.' });
      onChange();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    }
  };

  return html`<section class="card" aria-labelledby="shields-title">
    <h2 id="shields-title">Shields</h2>
    <p class="muted">Traffic matching a shield is not counted. One entry per line.</p>
    <form class="stack" onSubmit=${save}>
      ${LISTS.map(
        (l) => html`<label key=${l.name}>${l.label}
          <textarea name=${`shield-${l.name}`} rows="2" spellcheck="false" placeholder=${l.placeholder} value=${text[l.name]}
            onInput=${(e: Event) => setText({ ...text, [l.name]: (e.target as HTMLTextAreaElement).value })}></textarea>
        </label>
        <p class="hint">${l.hint}</p>`,
      )}
      ${message && (message.ok ? html`<p class="ok" role="status">${message.text}</p>` : html`<${ErrorNote} message=${message.text} />`)}
      <div><button type="submit" class="secondary">Save shields</button></div>
    </form>
  </section>`;
}
