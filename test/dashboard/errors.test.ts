/**
 * What the dashboard says for each failed answer (dashboard/src/errors.ts), table-driven: the
 * server's status, `error` and `Retry-After` in, the sentence and its kind out. The answers are
 * the server's own (docs/API.md); the browser test (test/browser/errors.test.ts) provokes the
 * ones a test can provoke against the real server and clicks the way out.
 */
import { describe, expect, it } from 'vitest';
import { withoutRefused } from '../../dashboard/src/components/errors.js';
import { type Answer, ApiError, explain } from '../../dashboard/src/errors.js';
import type { DashQuery } from '../../dashboard/src/router.js';

const FILTERS = JSON.stringify([
  ['is', 'visit:country', ['DE']],
  ['is', 'visit:planet', ['Mars']],
]);

describe('explain', () => {
  it.each<[string, Answer, string, string]>([
    [
      'no answer',
      { status: 0, retryAfter: null },
      'unreachable',
      "Can't reach the Mallard Metrics server. Check that it is running, then try again.",
    ],
    [
      'a proxy in front of a stopped server',
      { status: 502, retryAfter: null },
      'unreachable',
      "Can't reach the Mallard Metrics server. Check that it is running, then try again.",
    ],
    [
      'the server while it stops',
      { status: 503, message: 'Service Unavailable', retryAfter: null },
      'unreachable',
      "Can't reach the Mallard Metrics server. Check that it is running, then try again.",
    ],
    [
      'a lost session',
      { status: 401, message: 'not signed in', retryAfter: null },
      'signed-out',
      'You are signed out. Sign in again.',
    ],
    [
      'a revoked share link',
      { status: 401, message: 'invalid or revoked share link', retryAfter: null, shared: true },
      'failed',
      'This share link is invalid or has been revoked. Ask whoever shared it for a new one.',
    ],
    [
      'no role on the site',
      { status: 403, message: 'you have no role on shop.example', retryAfter: null },
      'forbidden',
      'Your account has no role on shop.example. Ask an owner of shop.example to invite you.',
    ],
    [
      'a role that does not allow it',
      { status: 403, message: 'your role on shop.example (viewer) does not allow this', retryAfter: null },
      'forbidden',
      'Your role on shop.example (viewer) does not allow this. Ask an owner for another role.',
    ],
    [
      'the lockout',
      { status: 429, message: 'too many failed sign-in attempts; try again later', retryAfter: '900' },
      'rate-limited',
      'Too many wrong passwords from this address. Try again in 15 minutes.',
    ],
    [
      'a rate limit',
      { status: 429, message: 'rate limited', retryAfter: '7' },
      'rate-limited',
      'Too many requests. Try again in 7 seconds.',
    ],
    [
      'a rate limit without Retry-After',
      { status: 429, retryAfter: null },
      'rate-limited',
      'Too many requests. Try again in a moment.',
    ],
    [
      'the second of two filters',
      { status: 400, message: 'filters[1]: unknown dimension "visit:planet"', retryAfter: null, params: { filters: FILTERS } },
      'bad-parameter',
      'The filter “visit:planet is Mars” cannot be used: unknown dimension "visit:planet".',
    ],
    [
      'the filters as a whole',
      { status: 400, message: 'filters: more than 100 filters', retryAfter: null, params: { filters: FILTERS } },
      'bad-parameter',
      "The filters in this page's address cannot be used: more than 100 filters.",
    ],
    [
      'a removed segment',
      {
        status: 404,
        message: 'segment: no segment 0f8fad5b-d9cb-469f-a165-70867728950e on site shop.example',
        retryAfter: null,
        params: { segment: '0f8fad5b-d9cb-469f-a165-70867728950e' },
      },
      'bad-parameter',
      "The segment in this page's address cannot be used: no segment 0f8fad5b-d9cb-469f-a165-70867728950e on site shop.example.",
    ],
    [
      'a form field (not the address)',
      { status: 400, message: 'password: at least 8 characters', retryAfter: null },
      'failed',
      'Password: at least 8 characters.',
    ],
    [
      'a missing site',
      { status: 404, message: 'no site shop.example', retryAfter: null },
      'not-found',
      'There is no site shop.example. It may have been removed.',
    ],
    [
      'storage out of reach',
      {
        status: 503,
        message: 'ClickHouse is unreachable; events are kept in the write-ahead log meanwhile',
        retryAfter: '10',
      },
      'unavailable',
      'The server cannot answer: ClickHouse is unreachable; events are kept in the write-ahead log meanwhile. Try again in 10 seconds.',
    ],
    [
      'a fault',
      { status: 500, message: 'internal error', retryAfter: null },
      'unavailable',
      'The server had a problem (500). Try again; if it lasts, its log says why.',
    ],
  ])('%s', (_, answer, kind, text) => {
    const err = explain(answer);
    expect([err.kind, err.message]).toEqual([kind, text]);
  });

  it('names the refused filter by its index, for the button that removes it', () => {
    const err = explain({
      status: 400,
      message: 'filters[1]: unknown dimension',
      retryAfter: null,
      params: { filters: FILTERS },
    });
    expect([err.param, err.index]).toEqual(['filters', 1]);
  });
});

describe('the way out of a refused parameter', () => {
  const query: DashQuery = {
    period: 'custom',
    from: '2026-01-01',
    to: '2026-01-31',
    compare: 'previous_period',
    interval: 'week',
    filters: [
      ['is', 'visit:country', ['DE']],
      ['is', 'visit:planet', ['Mars']],
    ],
    segment: '0f8fad5b-d9cb-469f-a165-70867728950e',
  };
  const refused = (param: string, index?: number) => new ApiError(400, 'x', 'bad-parameter', param, index);

  it.each<[string, ApiError, string, DashQuery]>([
    ['one filter', refused('filters', 1), 'Remove this filter', { ...query, filters: [['is', 'visit:country', ['DE']]] }],
    ['the filters', refused('filters'), 'Clear the filters', { ...query, filters: [] }],
    ['the segment', refused('segment'), 'Remove the segment', { ...query, segment: undefined }],
  ])('%s', (_, err, label, fixed) => {
    expect(withoutRefused(err, query)).toEqual([label, fixed]);
  });
});
