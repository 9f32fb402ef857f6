/** Number, percent and duration formatting for the panels (the browser's locale). */

const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** Exact below 100,000 (1,234), compact above (1.2M). */
export const count = (n: number): string => (Math.abs(n) < 100_000 ? whole.format(n) : compact.format(n));

export const decimal = (n: number): string => twoDecimals.format(n);

/** A fraction 0..1 as a whole percent: 0.5556 → "56%". */
export const fractionPercent = (f: number): string => `${whole.format(f * 100)}%`;

/** A percent 0..100 with at most one decimal: 11.111 → "11.1%". */
export const percent = (p: number): string => `${oneDecimal.format(p)}%`;

/** Seconds as "48s", "3m 05s", "1h 02m". */
export function duration(secs: number): string {
  const s = Math.round(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "2026-01-10" → "10 Jan 2026" (UTC, as the data). */
export function day(date: string): string {
  const d = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(d.getTime())
    ? date
    : d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function dateTime(iso: string | null): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** An amount in a currency, in the browser's locale: "€1,234.50", "$12.00" in English. */
export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${twoDecimals.format(amount)} ${currency}`;
  }
}
