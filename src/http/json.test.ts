import { describe, expect, it } from 'vitest';
import { HttpError } from './errors.js';
import { jsonTooDeep, MAX_JSON_DEPTH, parseJsonBody, TOO_DEEP_MESSAGE } from './json.js';

const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('jsonTooDeep', () => {
  it.each<[string, string, number, boolean]>([
    ['flat object', '{"a":1,"b":[1,2]}', 2, false],
    ['exactly the limit', nested(3), 3, false],
    ['one over the limit', nested(4), 3, true],
    ['objects count too', '{"a":{"b":{"c":{}}}}', 3, true],
    ['brackets inside strings do not count', '{"a":"[[[[{{{{"}', 1, false],
    ['an escaped quote does not end the string', '{"a":"\\"[[[["}', 1, false],
    ['an escaped backslash before the closing quote', '["\\\\",[[1]]]', 2, true],
    ['closing brackets lower the depth', '[[1],[2],[3]]', 2, false],
    ['not JSON at all', 'hello', 1, false],
  ])('%s', (_name, text, max, tooDeep) => {
    expect(jsonTooDeep(text, max)).toBe(tooDeep);
  });

  it('scans 100,000 nested arrays without recursion', () => {
    expect(jsonTooDeep(nested(100_000))).toBe(true);
    expect(jsonTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
  });
});

describe('parseJsonBody', () => {
  it('parses JSON within the limit', () => {
    expect(parseJsonBody('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
  });

  it.each([
    [nested(MAX_JSON_DEPTH + 1), TOO_DEEP_MESSAGE],
    ['{"a":', 'body: not valid JSON'],
  ])('refuses %#', (text, message) => {
    let thrown: unknown;
    try {
      parseJsonBody(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect([(thrown as HttpError).status, (thrown as HttpError).message]).toEqual([400, message]);
  });
});
