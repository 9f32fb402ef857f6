/**
 * A bounded memo for per-User-Agent work: traffic repeats a few hundred UAs, so the
 * parse is paid once each; the oldest entry goes when the memo is full.
 */
export function memoize<T>(fn: (key: string) => T, max = 10_000): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = fn(key);
    if (cache.size >= max) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, value);
    return value;
  };
}
