/**
 * `html` tagged templates: htm bound to Preact's `h` (htm/preact), so components are written
 * without a JSX build step (`html\`<${Panel} title="Pages" />\``).
 */
export { html } from 'htm/preact';
