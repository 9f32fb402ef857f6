/**
 * Path patterns of `data-exclude` / `data-include`, in Plausible's syntax: `*` matches
 * within one path segment, `**` across segments, a trailing slash is optional, and
 * everything else is literal. A list is comma-separated.
 */
export const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .trim()
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*?/g, (stars) => (stars[1] ? '.*' : '[^/]*'))}/?$`,
  );

/** True when `path` matches one of the comma-separated patterns. */
export const matchesAny = (patterns: string, path: string): boolean =>
  patterns.split(',').some((glob) => globToRegExp(glob).test(path));
