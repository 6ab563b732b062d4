import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time string comparison: hashing both sides makes the lengths equal. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * Checks the admin token (the login form and `Authorization: Bearer` on the API). Sessions
 * live in admin-sessions.ts; failed checks are limited by auth-limiter.ts.
 */
export function createAdminAuth(deps: { adminToken: string }) {
  return {
    /** True when `candidate` is the admin token. */
    tokenMatches(candidate: unknown): boolean {
      return (
        typeof candidate === 'string' &&
        candidate.length > 0 &&
        safeEqual(candidate, deps.adminToken)
      );
    },
    /** True when an `Authorization: Bearer` header carries the admin token. */
    bearerMatches(header: string | undefined): boolean {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
      return !!m && this.tokenMatches(m[1]);
    },
  };
}

export type AdminAuth = ReturnType<typeof createAdminAuth>;
