/**
 * Page flow: from one page, the pages visitors viewed next (or before), as a tree three
 * levels deep whose branches open and close.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Params } from '../api.js';
import { count } from '../format.js';
import { html } from '../html.js';
import type { FlowNode } from '../types.js';
import { useApi } from '../use-api.js';
import { Empty, ErrorNote, Skeleton } from './ui.js';

function Node({ node, max, level }: { node: FlowNode; max: number; level: number }) {
  const [open, setOpen] = useState(level === 1);
  const kids = node.children;
  return html`<li class="flow-node" data-page=${node.next_page}>
    <div class="flow-row">
      ${
        kids === undefined
          ? html`<span class="flow-toggle" aria-hidden="true"></span>`
          : html`<button type="button" class="flow-toggle" aria-expanded=${open}
              aria-label=${`${open ? 'Hide' : 'Show'} pages after ${node.next_page}`} onClick=${() => setOpen(!open)}>
              ${open ? '▾' : '▸'}
            </button>`
      }
      <span class="flow-page">
        <span class="bar" style=${{ width: `${(node.visitors / max) * 100}%` }}></span>
        <span class="row-label">${node.next_page}</span>
      </span>
      <span class="num flow-visitors">${count(node.visitors)}</span>
    </div>
    ${
      open &&
      kids !== undefined &&
      (kids.length === 0
        ? html`<p class="muted small flow-end">No further page views.</p>`
        : html`<ul class="flow-children">
            ${kids.map((k) => html`<${Node} key=${k.next_page} node=${k} max=${max} level=${level + 1} />`)}
          </ul>`)
    }
  </li>`;
}

export function Flow({ params, pages }: { params: Params; pages: string[] }) {
  const [page, setPage] = useState('');
  const [text, setText] = useState('');
  const [direction, setDirection] = useState<'forward' | 'backward'>('forward');
  // Start from the most viewed page once it is known.
  useEffect(() => {
    if (!page && pages[0]) {
      setPage(pages[0]);
      setText(pages[0]);
    }
  }, [pages, page]);
  const flow = useApi<FlowNode[]>(page ? '/api/stats/flow' : null, { ...params, page, direction, depth: 3, limit: 10 });
  const nodes = flow.data;
  const max = Math.max(1, ...(nodes ?? []).map((n) => n.visitors));

  return html`<section class="card" data-section="flow" aria-labelledby="flow-title">
    <h2 id="flow-title">Page flow</h2>
    <form class="inline-form" onSubmit=${(e: Event) => {
      e.preventDefault();
      if (text.trim()) setPage(text.trim());
    }}>
      <label>From page
        <input name="flow-page" value=${text} list="flow-pages" spellcheck="false" placeholder="/pricing"
          onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
      </label>
      <datalist id="flow-pages">${pages.map((p) => html`<option key=${p} value=${p}></option>`)}</datalist>
      <label>Show
        <select name="flow-direction" value=${direction}
          onChange=${(e: Event) => setDirection((e.target as HTMLSelectElement).value as 'forward' | 'backward')}>
          <option value="forward">next pages</option>
          <option value="backward">previous pages</option>
        </select>
      </label>
      <button type="submit" class="secondary small">Show flow</button>
    </form>
    <div class=${`result-box${flow.loading && nodes ? ' stale' : ''}`} aria-live="polite">
      ${flow.error && html`<${ErrorNote} message=${flow.error} retry=${flow.reload} />`}
      ${!page && html`<${Empty}>No page views in this period.<//>`}
      ${page && !nodes && !flow.error && html`<${Skeleton} rows=${3} />`}
      ${
        nodes &&
        (nodes.length === 0
          ? html`<${Empty}>Nobody viewed another page ${direction === 'forward' ? 'after' : 'before'} ${page}.<//>`
          : html`<p class="muted small">${direction === 'forward' ? 'After' : 'Before'} their first view of <strong>${page}</strong>, visitors viewed:</p>
            <ul class="flow">${nodes.map((n) => html`<${Node} key=${`${page}|${direction}|${n.next_page}`} node=${n} max=${max} level=${1} />`)}</ul>`)
      }
    </div>
  </section>`;
}
