/** A ClickHouse string literal, for text the store puts in a relation it hands out (site ids: validated upstream, escaped here anyway). */
export const chString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
