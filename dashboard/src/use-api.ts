/**
 * `useApi(path, params)`: loads JSON when the path or parameters change. While a new
 * answer is on its way the previous data stays on screen (no flash, no layout jump);
 * an answer that arrives after a newer request started is dropped.
 *
 * Polling (`pollMs`, or the `LiveRefresh` of the view around it: realtime's panels) asks
 * again only while the tab is visible: a hidden tab asks nothing, and coming back asks at
 * once, then on the timer again. A poll waits for the previous answer (a slow server gets
 * no pile of requests) and is quiet: it does not mark the panel as loading.
 *
 * Two failures are not the panel's to show: a server that cannot be reached (the banner says
 * so, and the panel asks again by itself once it answers) and a refused parameter of the
 * page's address (`usePageProblem`: the dashboard shows it once, with the way to fix it).
 */
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, get, type Params } from './api.js';
import { onConnection } from './connection.js';

/** Set while a dashboard is on screen (there is one at a time): where refusals go. */
let onRefused: ((err: ApiError) => void) | undefined;

/** The refusal of a parameter of the page's current address (a pasted bad filter), or null. */
export function usePageProblem(): ApiError | null {
  const [refused, setRefused] = useState<{ err: ApiError; search: string } | null>(null);
  useEffect(() => {
    onRefused = (err) => setRefused({ err, search: location.search });
    return () => {
      onRefused = undefined;
    };
  }, []);
  return refused?.search === location.search ? refused.err : null;
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** How often the panels inside ask again (ms; 0: never). */
export const LiveRefresh = createContext(0);

export function useApi<T>(path: string | null, params: Params = {}, pollMs?: number): Loaded<T> {
  const inherited = useContext(LiveRefresh);
  const every = pollMs ?? inherited;
  const key = path === null ? null : `${path}?${JSON.stringify(params)}`;
  const [state, setState] = useState<{ data?: T; error: string | null; loading: boolean }>({
    error: null,
    loading: key !== null,
  });
  const latest = useRef(0);
  const away = useRef(false);
  const busy = useRef(false);
  const quiet = useRef(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // `key` stands for path and params: the effect runs when either changes. A layout effect,
  // so the request leaves before the browser paints the page, not after.
  useLayoutEffect(() => {
    if (path === null) return;
    const id = ++latest.current;
    busy.current = true;
    if (!quiet.current) setState((s) => ({ ...s, loading: true }));
    quiet.current = false;
    const done = () => {
      if (id === latest.current) busy.current = false;
    };
    get<T>(path, params).then(
      (data) => {
        if (id === latest.current) setState({ data, error: null, loading: false });
        done();
      },
      (err: unknown) => {
        const kind = err instanceof ApiError ? err.kind : 'failed';
        if (id === latest.current) {
          away.current = kind === 'unreachable';
          if (kind === 'bad-parameter') onRefused?.(err as ApiError);
          // Unreachable: the data (or skeleton) stays while the banner explains.
          if (!away.current) setState((s) => ({ data: s.data, error: errorText(err), loading: false }));
        }
        done();
      },
    );
  }, [key, tick]);

  useEffect(
    () =>
      onConnection((down) => {
        if (!down && away.current) reload();
      }),
    [reload],
  );

  useEffect(() => {
    if (!every || path === null) return;
    let timer: ReturnType<typeof setInterval> | undefined;
    const poll = () => {
      if (busy.current) return;
      quiet.current = true;
      reload();
    };
    const start = () => {
      timer ??= setInterval(poll, every);
    };
    const stop = () => {
      clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => {
      if (document.visibilityState !== 'visible') return stop();
      poll();
      start();
    };
    if (document.visibilityState === 'visible') start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [every, path, reload]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}
