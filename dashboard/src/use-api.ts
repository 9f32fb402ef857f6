/**
 * `useApi(path, params)`: loads JSON when the path or parameters change. While a new
 * answer is on its way the previous data stays on screen (no flash, no layout jump);
 * an answer that arrives after a newer request started is dropped.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { errorText, get, type Params } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null, params: Params = {}, pollMs = 0): Loaded<T> {
  const key = path === null ? null : `${path}?${JSON.stringify(params)}`;
  const [state, setState] = useState<{ data?: T; error: string | null; loading: boolean }>({
    error: null,
    loading: key !== null,
  });
  const latest = useRef(0);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // `key` stands for path and params: the effect runs when either changes. A layout effect,
  // so the request leaves before the browser paints the page, not after.
  useLayoutEffect(() => {
    if (path === null) return;
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    get<T>(path, params).then(
      (data) => {
        if (id === latest.current) setState({ data, error: null, loading: false });
      },
      (err: unknown) => {
        if (id === latest.current) setState((s) => ({ data: s.data, error: errorText(err), loading: false }));
      },
    );
  }, [key, tick]);

  useEffect(() => {
    if (!pollMs || path === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, pollMs);
    return () => clearInterval(timer);
  }, [pollMs, path, reload]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}
