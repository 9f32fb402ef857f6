/**
 * Path patterns of `data-exclude` / `data-include`, in Plausible's syntax: `*` matches
 * within one path segment, `**` across segments, a trailing slash is optional, and
 * everything else is literal. A list is comma-separated.
 */
export const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .trim()
      // Every other character is literal (`\-`, `\é`: identity escapes outside unicode mode).
      .replace(/[^\w*]/g, '\\$&')
      .replace(/\*\*?/g, (stars) => (stars[1] ? '.*' : '[^/]*'))}/?$`,
  );

/** Whether `path` matches one of the comma-separated patterns; undefined without patterns. */
export const matchesAny = (patterns: string | null, path: string): boolean | undefined =>
  patterns?.split(',').some((glob) => globToRegExp(glob).test(path));
