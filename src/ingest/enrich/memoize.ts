/**
 * A bounded memo for per-event work on values traffic repeats (a few hundred User-Agents,
 * a site's pages and referrers): each is worked out once; the oldest entry goes when the
 * memo is full. Results are shared between callers: they must not change them.
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
