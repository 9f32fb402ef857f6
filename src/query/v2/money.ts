/**
 * A revenue figure as Plausible's Stats API v2 answers it: `{short, long, value, currency}`,
 * e.g. `{short: "$67.1", long: "$67.07", value: 67.066, currency: "USD"}`. Plausible formats
 * with CLDR's English currency patterns (ex_money); Intl's are the same data: `long` in the
 * currency's own decimals, `short` compact (K, M, B, T) with one decimal, both rounded half
 * to even. The amount is formatted from its exact decimal spelling, never from a double.
 */

export interface Money {
  short: string;
  long: string;
  value: number;
  currency: string;
}

const long = new Map<string, Intl.NumberFormat>();
const short = new Map<string, Intl.NumberFormat>();

function formatter(cache: Map<string, Intl.NumberFormat>, currency: string, compact: boolean): Intl.NumberFormat {
  let f = cache.get(currency);
  if (f === undefined) {
    f = new Intl.NumberFormat('en', {
      style: 'currency',
      currency,
      roundingMode: 'halfEven',
      ...(compact ? { notation: 'compact', minimumFractionDigits: 1, maximumFractionDigits: 1 } : {}),
    });
    cache.set(currency, f);
  }
  return f;
}

/** `units` of `1 / 10^scale` of the currency unit, as a decimal string (`2012000, 4` → `"201.2000"`). */
export function decimalString(units: number, scale: number): string {
  const digits = Math.abs(units)
    .toString()
    .padStart(scale + 1, '0');
  const cut = digits.length - scale;
  return `${units < 0 ? '-' : ''}${digits.slice(0, cut)}${scale > 0 ? `.${digits.slice(cut)}` : ''}`;
}

/** The money object of an exact amount (a decimal string) in an ISO 4217 currency. */
export function money(amount: string, currency: string): Money {
  // Intl takes a decimal string exactly (its type says number only).
  const exact = amount as unknown as number;
  return {
    short: formatter(short, currency, true).format(exact),
    long: formatter(long, currency, false).format(exact),
    value: Number(amount),
    currency,
  };
}
