/**
 * SQL as a tagged template: every interpolated value becomes a bound parameter. Raw text
 * enters only through `ident()` (checked against an allowlist by the caller) or `raw()`
 * (server-authored fragments). The dialect decides the placeholder syntax, so one query
 * can serve two engines.
 */
import type { SqlValue } from '../storage/storage.js';
import type { Dialect } from './dialect.js';

const RAW = Symbol('raw');
interface Raw {
  readonly [RAW]: string;
}

export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly values: readonly (SqlValue | Sql | Raw)[],
  ) {}
}

export function sql(strings: TemplateStringsArray, ...values: (SqlValue | Sql | Raw)[]): Sql {
  return new Sql([...strings], values);
}

/** Server-authored SQL text. Never pass client input. */
export const raw = (text: string): Raw => ({ [RAW]: text });

/** A server-authored SQL fragment as a composable Sql value. Never pass client input. */
export const fragment = (text: string): Sql => new Sql([text], []);

/** An identifier already checked against an allowlist. */
export function ident(name: string): Raw {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`bad identifier ${name}`);
  return raw(name);
}

export function join(fragments: readonly Sql[], separator: string): Sql {
  if (fragments.length === 0) return sql``;
  const parts = ['', ...fragments.slice(1).map(() => separator), ''];
  return new Sql(parts, fragments);
}

/**
 * Renders to text and parameters for one engine: the dialect spells each placeholder (an
 * engine may need the value's type in it). There is no default, so SQL can never reach an
 * engine in another's spelling unnoticed.
 */
export function render(query: Sql, dialect: Pick<Dialect, 'placeholder'>): { text: string; params: SqlValue[] } {
  const params: SqlValue[] = [];
  const walk = (q: Sql): string => {
    let text = q.parts[0] ?? '';
    q.values.forEach((v, i) => {
      if (v instanceof Sql) text += walk(v);
      else if (v !== null && typeof v === 'object' && RAW in v) text += v[RAW];
      else {
        params.push(v as SqlValue);
        text += dialect.placeholder(params.length, v as SqlValue);
      }
      text += q.parts[i + 1] ?? '';
    });
    return text;
  };
  return { text: walk(query), params };
}

/** The text of SQL that binds no value (server-authored only); throws if it does. */
export function serverText(query: Sql): string {
  return render(query, {
    placeholder: () => {
      throw new Error('serverText: the fragment binds a value');
    },
  }).text;
}
