import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How long an admin session cookie lasts. */
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;
export const SESSION_COOKIE = 'digest_admin';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time string comparison: hashing both sides makes the lengths equal. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * Admin authentication. The session cookie is not the token: it is an expiry and an HMAC of
 * it under a key derived from the token, so a leaked cookie does not reveal the token, expires,
 * and changing ADMIN_TOKEN ends every session. The CSRF token is an HMAC of the session value
 * (session-bound), checked on every cookie-authenticated form POST.
 */
export function createAdminAuth(deps: { adminToken: string; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const key = sha256(`digest-admin:v1:${deps.adminToken}`);
  const mac = (s: string) => createHmac('sha256', key).update(s).digest('base64url');

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
    createSession(): string {
      const exp = Math.floor(now().getTime() / 1000) + SESSION_TTL_SECONDS;
      return `${exp}.${mac(`session:${exp}`)}`;
    },
    verifySession(value: string | undefined): boolean {
      const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
      if (!m) return false;
      if (Number(m[1]) * 1000 < now().getTime()) return false;
      return safeEqual(m[2]!, mac(`session:${m[1]}`));
    },
    csrfFor(session: string): string {
      return mac(`csrf:${session}`);
    },
    verifyCsrf(session: string, candidate: unknown): boolean {
      return typeof candidate === 'string' && safeEqual(candidate, mac(`csrf:${session}`));
    },
  };
}

export type AdminAuth = ReturnType<typeof createAdminAuth>;
