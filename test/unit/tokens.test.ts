import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokens } from '../../src/subscribers/tokens.js';

const tokens = createTokens('a-test-secret-that-is-long-enough-0123456789');
const now = new Date('2025-06-01T12:00:00Z');

/** Changes one character of a base64url string to a different one. */
function alter(token: string, at: number): string {
  const c = token[at] === 'A' ? 'B' : 'A';
  return token.slice(0, at) + c + token.slice(at + 1);
}

describe('createTokens', () => {
  it('round-trips a subscriber id for its purpose, as 40 ASCII base64url characters', () => {
    for (const id of [1, 42, 123_456_789, 2 ** 48 - 1]) {
      const t = tokens.sign('unsubscribe', id);
      expect(t).toMatch(/^[A-Za-z0-9_-]{40}$/);
      expect(tokens.verify('unsubscribe', t)).toEqual({ ok: true, subscriberId: id });
    }
  });

  it('makes the same token for the same input (no per-call randomness) and different ones per id', () => {
    expect(tokens.sign('preferences', 7)).toBe(tokens.sign('preferences', 7));
    expect(tokens.sign('preferences', 7)).not.toBe(tokens.sign('preferences', 8));
  });

  it('computes a real HMAC-SHA256 (the fast path agrees with createHmac)', () => {
    const secret = 'a-test-secret-that-is-long-enough-0123456789';
    const t = Buffer.from(tokens.sign('confirm', 99, 3600, now), 'base64url');
    const key = createHmac('sha256', secret).update('digest-token:v1:confirm').digest();
    const tag = createHmac('sha256', key).update(t.subarray(0, 12)).digest().subarray(0, 18);
    expect(t.subarray(12).equals(tag)).toBe(true);
  });

  it('refuses every single-character alteration', () => {
    const t = tokens.sign('unsubscribe', 1234);
    for (let i = 0; i < t.length; i++) {
      expect(tokens.verify('unsubscribe', alter(t, i)), `position ${i}`).toEqual({
        ok: false,
        code: 'TOKEN_INVALID',
      });
    }
  });

  it('refuses a token made for another purpose', () => {
    const t = tokens.sign('preferences', 5);
    expect(tokens.verify('unsubscribe', t)).toEqual({ ok: false, code: 'TOKEN_INVALID' });
    expect(tokens.verify('confirm', t)).toEqual({ ok: false, code: 'TOKEN_INVALID' });
    // Rewriting the purpose byte does not help: each purpose has its own key.
    const b = Buffer.from(t, 'base64url');
    b[1] = 0; // unsubscribe
    expect(tokens.verify('unsubscribe', b.toString('base64url'))).toEqual({
      ok: false,
      code: 'TOKEN_INVALID',
    });
  });

  it('refuses a token signed with another secret', () => {
    const other = createTokens('another-secret-that-is-long-enough-9876543210');
    expect(tokens.verify('unsubscribe', other.sign('unsubscribe', 5))).toEqual({
      ok: false,
      code: 'TOKEN_INVALID',
    });
  });

  it('expires after its time to live, and says so', () => {
    const t = tokens.sign('confirm', 77, 48 * 3600, now);
    expect(tokens.verify('confirm', t, new Date(now.getTime() + 47 * 3600_000))).toEqual({
      ok: true,
      subscriberId: 77,
    });
    expect(tokens.verify('confirm', t, new Date(now.getTime() + 48 * 3600_000))).toEqual({
      ok: false,
      code: 'TOKEN_EXPIRED',
    });
    // Without a ttl it never expires.
    const forever = tokens.sign('unsubscribe', 77, undefined, now);
    expect(tokens.verify('unsubscribe', forever, new Date('2090-01-01'))).toEqual({
      ok: true,
      subscriberId: 77,
    });
  });

  it('an altered expired token is invalid, not expired', () => {
    const t = tokens.sign('confirm', 77, 60, now);
    expect(tokens.verify('confirm', alter(t, 39), new Date(now.getTime() + 3600_000))).toEqual({
      ok: false,
      code: 'TOKEN_INVALID',
    });
  });

  it('refuses garbage and non-ASCII input without throwing', () => {
    const t = tokens.sign('unsubscribe', 3);
    const bad: unknown[] = [
      '',
      'x',
      'not a token',
      t.slice(0, 39),
      `${t}A`,
      `${t.slice(0, 39)}=`,
      `${t.slice(0, 38)}é`,
      t.replace(/./, 'ü'),
      `${t.slice(0, 20)}\u0000${t.slice(21)}`,
      '💥'.repeat(20),
      'A'.repeat(40),
      undefined,
      null,
      123,
      {},
      'a'.repeat(10_000),
    ];
    for (const b of bad) {
      expect(tokens.verify('unsubscribe', b), JSON.stringify(b)?.slice(0, 30)).toEqual({
        ok: false,
        code: 'TOKEN_INVALID',
      });
    }
  });

  it('rejects a weak secret and impossible ids at sign time', () => {
    expect(() => createTokens('short')).toThrow();
    expect(() => tokens.sign('unsubscribe', 0)).toThrow();
    expect(() => tokens.sign('unsubscribe', 1.5)).toThrow();
    expect(() => tokens.sign('unsubscribe', 2 ** 48)).toThrow();
  });
});
