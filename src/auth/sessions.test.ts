import { describe, expect, it } from 'vitest';
import { SessionStore } from './sessions.js';

describe('SessionStore', () => {
  it('creates 256-bit tokens that are valid until they expire', () => {
    const store = new SessionStore(1000);
    const { token, maxAgeSecs } = store.create(0);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(maxAgeSecs).toBe(1);
    expect(store.valid(token, 999)).toBe(true);
    expect(store.valid(token, 1000)).toBe(false);
    expect(store.valid(token, 0)).toBe(false); // removed once seen expired
  });

  it('refuses missing and unknown tokens', () => {
    const store = new SessionStore();
    store.create();
    expect(store.valid(undefined)).toBe(false);
    expect(store.valid('')).toBe(false);
    expect(store.valid('not-a-token')).toBe(false);
  });

  it('end() ends one session', () => {
    const store = new SessionStore();
    const a = store.create().token;
    const b = store.create().token;
    store.end(a);
    expect([store.valid(a), store.valid(b)]).toEqual([false, true]);
  });

  it('endAllExcept() keeps only the given session', () => {
    const store = new SessionStore();
    const [a, b, c] = [store.create().token, store.create().token, store.create().token];
    expect(store.endAllExcept(b)).toBe(2);
    expect([store.valid(a), store.valid(b), store.valid(c)]).toEqual([false, true, false]);
    expect(store.endAllExcept(undefined)).toBe(1);
    expect(store.valid(b)).toBe(false);
  });

  it("knows whose session it is, and endAllExcept(token, user) ends only that user's others", () => {
    const store = new SessionStore();
    const [a1, a2] = [store.create(0, 'alice').token, store.create(0, 'alice').token];
    const b = store.create(0, 'bob').token;
    const admin = store.create(0).token;
    expect([store.userOf(a1, 1), store.userOf(b, 1), store.userOf(admin, 1)]).toEqual(['alice', 'bob', 'super-admin']);
    expect(store.endAllExcept(a1, 'alice')).toBe(1);
    expect([a1, a2, b, admin].map((t) => store.valid(t, 1))).toEqual([true, false, true, true]);
    expect(store.endAllExcept(undefined, 'bob')).toBe(1);
    expect([a1, b, admin].map((t) => store.valid(t, 1))).toEqual([true, false, true]);
  });
});
