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

const SPELL = Symbol('spell');
interface Spelled {
  readonly [SPELL]: (d: Dialect) => Sql | string;
}

export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly values: readonly (SqlValue | Sql | Raw | Spelled)[],
  ) {}
}

export function sql(strings: TemplateStringsArray, ...values: (SqlValue | Sql | Raw)[]): Sql {
  return new Sql([...strings], values);
}

/** Server-authored SQL text. Never pass client input. */
export const raw = (text: string): Raw => ({ [RAW]: text });

/** A server-authored SQL fragment as a composable Sql value. Never pass client input. */
export const fragment = (text: string): Sql => new Sql([text], []);

/**
 * SQL whose spelling is the engine's (`Dialect`), chosen when the statement is rendered for
 * one: queries and the tables they are built from (dimensions, metrics) are written once,
 * for every engine. Server-authored: `spell` returns text or Sql, never client input as text.
 */
export const spelled = (spell: (d: Dialect) => Sql | string): Sql => new Sql(['', ''], [{ [SPELL]: spell }]);

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
export function render(query: Sql, dialect: Dialect): { text: string; params: SqlValue[] } {
  const params: SqlValue[] = [];
  const walk = (q: Sql): string => {
    let text = q.parts[0] ?? '';
    q.values.forEach((v, i) => {
      if (v instanceof Sql) text += walk(v);
      else if (v !== null && typeof v === 'object' && RAW in v) text += v[RAW];
      else if (v !== null && typeof v === 'object' && SPELL in v) {
        const spelling = v[SPELL](dialect);
        text += typeof spelling === 'string' ? spelling : walk(spelling);
      } else {
        params.push(v as SqlValue);
        text += dialect.placeholder(params.length, v as SqlValue);
      }
      text += q.parts[i + 1] ?? '';
    });
    return text;
  };
  return { text: walk(query), params };
}

/** The text of SQL that binds no value (server-authored only), for one engine; throws if it binds one. */
export function serverText(query: Sql, dialect: Dialect): string {
  const { text, params } = render(query, dialect);
  if (params.length > 0) throw new Error('serverText: the fragment binds a value');
  return text;
}
