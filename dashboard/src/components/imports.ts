/**
 * A site's imported data (site settings): the imports its stats include (docs/IMPORT.md,
 * "From Plausible"), each with its dates, and removal. Importing is the `import` command's.
 */
import { useState } from 'preact/hooks';
import { del, errorText } from '../api.js';
import { html } from '../html.js';
import type { SiteImport } from '../types.js';
import { useApi } from '../use-api.js';
import { ConfirmButton, Empty, ErrorNote } from './ui.js';

/** An import's source as people name it. */
export const importSource = (source: string) => (source === 'plausible' ? 'Plausible' : source);

export function Imports({ site }: { site: string }) {
  const path = `/api/sites/${encodeURIComponent(site)}/imports`;
  const imports = useApi<SiteImport[]>(path);
  const [error, setError] = useState<string | null>(null);
  const remove = async (id: string) => {
    setError(null);
    try {
      await del(`${path}/${id}`);
      imports.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const list = imports.data;
  return html`<section class="card" aria-labelledby="imports-title">
    <h2 id="imports-title">Imported data</h2>
    <p class="muted">
      Daily numbers imported from another analytics tool. The dashboard adds them to its own when no filter is set.
    </p>
    ${imports.error && html`<${ErrorNote} message=${imports.error} retry=${imports.reload} />`}
    ${list && list.length === 0 && html`<${Empty}>No imported data. Import a Plausible export with <code>mallard-metrics import export.zip --site ${site}</code>.<//>`}
    ${
      list &&
      list.length > 0 &&
      html`<ul class="item-list import-list">
        ${list.map(
          (i) => html`<li key=${i.id}>
            <span class="import-name">${importSource(i.source)}, ${i.start_date} – ${i.end_date}</span>
            <span class="muted small">${i.row_count.toLocaleString()} rows from ${i.file_count} files</span>
            <${ConfirmButton}
              label="Delete"
              confirm=${`Delete the ${importSource(i.source)} import of ${i.start_date} – ${i.end_date}?`}
              onConfirm=${() => remove(i.id)}
            />
          </li>`,
        )}
      </ul>`
    }
    ${error && html`<${ErrorNote} message=${error} />`}
  </section>`;
}
