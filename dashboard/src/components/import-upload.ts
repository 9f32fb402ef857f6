/**
 * "Import history" (site settings): a file of past events uploaded to the server (docs/IMPORT.md,
 * "From the dashboard"). One progress bar: the upload's bytes as the browser sends them, then
 * the server's job — checking every record, then storing them — polled until it ends; then
 * the summary (events imported, records rejected by reason, the first bad lines).
 */
import { useEffect, useState } from 'preact/hooks';
import { errorText, get, upload } from '../api.js';
import { html } from '../html.js';
import type { ImportJob } from '../types.js';
import { ErrorNote } from './ui.js';

/** The formats the server takes (`format=`). */
const FORMATS = [
  { id: 'plausible', label: 'Plausible export (.zip)', accept: '.zip' },
  { id: 'umami', label: 'Umami CSV (website_event)', accept: '.csv,.gz' },
  { id: 'ndjson', label: 'NDJSON', accept: '.ndjson,.jsonl,.gz' },
  { id: 'csv', label: 'CSV', accept: '.csv,.gz' },
  { id: 'parquet', label: 'Parquet', accept: '.parquet' },
] as const;
type Format = (typeof FORMATS)[number]['id'];

const POLL_MS = 500;
const n = (x: number) => x.toLocaleString('en-US');

type Phase =
  | { kind: 'idle' }
  | { kind: 'uploading'; sent: number; total: number }
  | { kind: 'job'; job: ImportJob }
  | { kind: 'refused'; message: string };

/** The bar's value and max, and the words beside it. */
function progress(phase: Phase): { value?: number; max: number; label: string } | null {
  if (phase.kind === 'uploading') {
    const pct = phase.total === 0 ? 0 : Math.floor((phase.sent / phase.total) * 100);
    return { value: phase.sent, max: phase.total, label: `Uploading… ${pct}%` };
  }
  if (phase.kind !== 'job') return null;
  const j = phase.job;
  switch (j.state) {
    case 'reading':
      return { max: 1, label: 'Reading the file…' }; // no value: an indeterminate bar
    case 'validating':
      return { value: j.bytes_done, max: j.bytes_total, label: `Checking records… ${n(j.records_read)} read` };
    case 'importing':
      return { value: j.bytes_done, max: j.bytes_total, label: `Importing… ${n(j.imported)} of ${n(j.accepted)} events stored` };
    case 'done':
      return { value: 1, max: 1, label: 'Done.' };
    case 'failed':
      return null;
  }
}

function Summary({ job }: { job: ImportJob }) {
  const reasons = Object.entries(job.rejected).sort((a, b) => b[1] - a[1]);
  const rejected = reasons.reduce((sum, [, k]) => sum + k, 0);
  const why = reasons.map(([reason, k]) => `${reason}: ${n(k)}`).join(', ');
  const lines =
    job.errors.length > 0 &&
    html`<ul class="import-errors small">
      ${job.errors.map((e) => html`<li key=${e.line}>Line ${n(e.line)}: ${e.error}</li>`)}
      ${rejected > job.errors.length && html`<li class="muted">… and ${n(rejected - job.errors.length)} more</li>`}
    </ul>`;
  if (job.state === 'failed') {
    const stored = job.imported === 0 ? 'Nothing was stored.' : `${n(job.imported)} events were stored.`;
    return html`<${ErrorNote} message=${`The import failed: ${job.error}. ${stored}`} />${lines}`;
  }
  return html`<p class="ok" role="status">
      Imported ${n(job.imported)} event${job.imported === 1 ? '' : 's'} from ${n(job.records_read)} records;
      ${' '}${n(rejected)} rejected${rejected > 0 ? ` (${why})` : ''}.
    </p>
    ${lines}`;
}

export function ImportHistory({ site }: { site: string }) {
  const base = `/api/sites/${encodeURIComponent(site)}/imports`;
  const [format, setFormat] = useState<Format>('umami');
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const running =
    phase.kind === 'uploading' || (phase.kind === 'job' && phase.job.state !== 'done' && phase.job.state !== 'failed');

  // Polls the job until it ends; a failed poll is shown and ends the polling.
  const jobId = phase.kind === 'job' ? phase.job.job_id : null;
  const jobState = phase.kind === 'job' ? phase.job.state : null;
  useEffect(() => {
    if (!jobId || jobState === 'done' || jobState === 'failed') return;
    const timer = setTimeout(async () => {
      try {
        setPhase({ kind: 'job', job: await get<ImportJob>(`${base}/jobs/${jobId}`) });
      } catch (err) {
        setPhase({ kind: 'refused', message: errorText(err) });
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [phase]);

  const start = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setPhase({ kind: 'uploading', sent: 0, total: file.size });
    try {
      const { job_id } = await upload<{ job_id: string }>(`${base}/upload`, { format }, file, (sent, total) =>
        setPhase({ kind: 'uploading', sent, total }),
      );
      const job: ImportJob = {
        job_id,
        state: 'reading',
        records_read: 0,
        accepted: 0,
        rejected: {},
        errors: [],
        bytes_total: file.size,
        bytes_done: 0,
        imported: 0,
        error: null,
      };
      setPhase({ kind: 'job', job });
    } catch (err) {
      setPhase({ kind: 'refused', message: errorText(err) });
    }
  };

  const bar = progress(phase);
  const chosen = FORMATS.find((f) => f.id === format) ?? FORMATS[0];
  return html`<section class="card" aria-labelledby="import-title">
    <h2 id="import-title">Import history</h2>
    <p class="muted">
      Past events from another tool or a file: every record is checked first, and nothing is stored from a file that
      cannot be read. Importing the same file twice is refused.
    </p>
    <form class="stack" onSubmit=${start} aria-label="Import a file">
      <label>Format
        <select name="import-format" value=${format} disabled=${running}
          onChange=${(e: Event) => setFormat((e.target as HTMLSelectElement).value as Format)}>
          ${FORMATS.map((f) => html`<option key=${f.id} value=${f.id}>${f.label}</option>`)}
        </select>
      </label>
      <label>File
        <input type="file" name="import-file" accept=${chosen.accept} disabled=${running}
          onChange=${(e: Event) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
      </label>
      ${format === 'umami' && html`<p class="hint">The <code>website_event</code> table of Umami's data export.</p>`}
      ${
        format === 'plausible' &&
        html`<p class="hint">The zip of <code>imported_*.csv</code> files Plausible exports: kept as imported data, merged
          into the dashboard for the dates it covers.</p>`
      }
      <div><button type="submit" class="secondary" disabled=${!file || running}>Upload and import</button></div>
    </form>
    ${
      bar &&
      html`<div class="import-progress">
        <progress aria-label="Import progress" data-state=${phase.kind === 'job' ? phase.job.state : phase.kind}
          value=${bar.value} max=${bar.max}></progress>
        <span class="muted small" aria-live="polite">${bar.label}</span>
      </div>`
    }
    ${phase.kind === 'job' && (phase.job.state === 'done' || phase.job.state === 'failed') && html`<${Summary} job=${phase.job} />`}
    ${phase.kind === 'refused' && html`<${ErrorNote} message=${phase.message} />`}
  </section>`;
}
