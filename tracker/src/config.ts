/**
 * The settings a page puts on the script tag, read once when the script runs
 * (`document.currentScript` is only set during that first run).
 */
const script = document.currentScript as HTMLScriptElement;

/** `data-<name>` of the script tag, or null. */
// biome-ignore lint/style/useTemplate: 3 bytes smaller gzipped, and the default script has a byte budget
export const attr = (name: string): string | null => script.getAttribute('data-' + name);

/** Site id(s); several comma-separated ones go in one request, as Plausible does. */
export const domain = attr('domain') || location.hostname;

/** Ingestion endpoint: `data-api` (a proxy path), else the origin that served this script. */
export const api = attr('api') || new URL('/api/event', script.src);

/** Hash-based routing: the `hash` variant, or `data-hash` on the default script. */
export const hashMode = FEATURE_HASH || attr('hash') !== null;

/** The path that `data-exclude`/`data-include` and SPA de-duplication look at. */
export const currentPath = (): string => location.pathname + (hashMode ? location.hash : '');

/** `event-<key>="value"` attributes (pageview-props variant): sent as props with every event. */
export const scriptProps = (): Record<string, string> => {
  const props: Record<string, string> = {};
  for (const name of script.getAttributeNames()) {
    if (name.startsWith('event-')) props[name.slice(6)] = script.getAttribute(name) as string;
  }
  return props;
};
