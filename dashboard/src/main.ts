/** Entry point of the dashboard bundle (scripts/build-dashboard.mjs). */
import { render } from 'preact';
import { App } from './components/app.js';
import { html } from './html.js';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
