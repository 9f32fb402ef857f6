/** Small shared pieces: error and empty notes, skeleton rows, copy button, confirm button. */
import { useState } from 'preact/hooks';
import { html } from '../html.js';

export function ErrorNote({ message, retry }: { message: string; retry?: () => void }) {
  return html`<div class="error-note" role="alert">
    <span>${message}</span>
    ${retry && html`<button type="button" class="link" onClick=${retry}>Try again</button>`}
  </div>`;
}

export function Empty({ children }: { children: unknown }) {
  return html`<p class="empty">${children}</p>`;
}

/** Grey placeholder lines in the space the data will take. */
export function Skeleton({ rows = 5 }: { rows?: number }) {
  return html`<div class="skeleton" aria-hidden="true">
    ${Array.from({ length: rows }, (_, i) => html`<span key=${i}></span>`)}
  </div>`;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label}</p>`;
}

/** Copies `text`; falls back to selecting it where the Clipboard API is unavailable (plain HTTP). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied');
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'offscreen';
      document.body.append(area);
      area.select();
      const ok = document.execCommand('copy');
      area.remove();
      setDone(ok ? 'Copied' : 'Select the text and copy it');
    }
    setTimeout(() => setDone(null), 2000);
  };
  return html`<button type="button" class="secondary small" onClick=${copy}>
    <span aria-live="polite">${done ?? label}</span>
  </button>`;
}

/** A destructive action that asks once more inline instead of a browser dialog. */
export function ConfirmButton({ label, confirm, onConfirm }: { label: string; confirm: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`<button type="button" class="danger small" onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`<span class="confirm">
    <span>${confirm}</span>
    <button
      type="button"
      class="danger small"
      onClick=${() => {
        setAsking(false);
        onConfirm();
      }}
    >
      Yes, ${label.toLowerCase()}
    </button>
    <button type="button" class="secondary small" onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}
