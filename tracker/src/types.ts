/** The public JavaScript API: `window.mallard(name, options)`. */

export interface TrackResult {
  /** HTTP status of the ingestion answer (202 when stored). */
  status?: number;
  /** The network error, when the request failed. */
  error?: unknown;
}

export interface TrackOptions {
  /** Custom properties: string, number or boolean values. */
  props?: Record<string, string | number | boolean>;
  revenue?: { amount: number | string; currency: string };
  /** Called with the answer, or with no argument when the event was not sent (ignored). */
  callback?: (result?: TrackResult) => void;
  /** The page URL to record instead of `location.href` (manual mode, templated URLs). */
  u?: string;
}

export type Track = (name: string, options?: TrackOptions) => void;

declare global {
  interface Window {
    /** Before the script loads, the snippet's stub collects calls (`arguments` objects) in `q`. */
    mallard?: Track & { q?: Parameters<Track>[] };
  }
}
