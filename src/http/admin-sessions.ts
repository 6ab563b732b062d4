import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Keys, RedisClient } from '../redis.js';
import { safeEqual } from './admin-auth.js';

/** A session ends after this long without a request (README, "Security"). */
export const SESSION_IDLE_MS = 2 * 3600_000;
/** And after this long in any case: the admin logs in again once a day at most. */
export const SESSION_ABSOLUTE_MS = 24 * 3600_000;
/** A one-time login link works this long, once. */
export const LOGIN_CODE_TTL_MS = 15 * 60_000;
export const SESSION_COOKIE = 'digest_admin';

/** How often a session's "last seen" is written: at most once a minute per session. */
const TOUCH_EVERY_MS = 60_000;
const ID = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

type SessionRedis = { redis: RedisClient; keys: Keys };

/** Stores a new session's hash with its creation time; drops sessions past their lifetime. */
async function storeSession({ redis, keys }: SessionRedis, idHash: string, t: number) {
  const res = await redis
    .multi()
    .hset(keys.adminSession(idHash), 'c', t, 's', t)
    .pexpire(keys.adminSession(idHash), SESSION_ABSOLUTE_MS)
    .zadd(keys.adminSessions, t, idHash)
    .zremrangebyscore(keys.adminSessions, '-inf', t - SESSION_ABSOLUTE_MS)
    .exec();
  const failed = res?.find(([err]) => err)?.[0];
  if (failed) throw failed;
}

/** Ends every session; returns how many there were. */
async function revokeAllSessions({ redis, keys }: SessionRedis): Promise<number> {
  const hashes = await redis.zrange(keys.adminSessions, '0', '-1');
  const tx = redis.multi();
  for (const h of hashes) tx.del(keys.adminSession(h));
  await tx.del(keys.adminSessions).exec();
  return hashes.length;
}

/** The one-time login codes: Redis keeps only their hash, for LOGIN_CODE_TTL_MS. */
function loginCodes({ redis, keys }: SessionRedis) {
  return {
    /** A one-time login code, valid LOGIN_CODE_TTL_MS; Redis keeps only its hash. */
    async createLoginCode(): Promise<string> {
      const code = randomBytes(32).toString('base64url');
      await redis.set(keys.adminLoginCode(sha256(code)), '1', 'PX', LOGIN_CODE_TTL_MS);
      return code;
    },
    /** Uses a login code up: true once for a code that was made and has not expired. */
    async useLoginCode(code: string | undefined): Promise<boolean> {
      if (!code || !ID.test(code)) return false;
      return (await redis.getdel(keys.adminLoginCode(sha256(code)))) === '1';
    },
  };
}

/**
 * Admin sessions kept in Redis: the cookie holds a random id and an HMAC of it under a key
 * derived from SECRET (never from the admin token, so a cookie tells nothing about the token).
 * Redis holds only the id's hash, its creation and last-seen times; a session ends after
 * SESSION_IDLE_MS idle or SESSION_ABSOLUTE_MS in all, at logout, or when every session is
 * revoked (`digest admin sessions revoke`). Also the one-time login codes the log and
 * `digest admin login-link` hand out.
 */
export function createAdminSessions(deps: {
  redis: RedisClient;
  keys: Keys;
  secret: string;
  now?: () => Date;
}) {
  const { redis, keys } = deps;
  const now = () => (deps.now ? deps.now().getTime() : Date.now());
  const key = createHmac('sha256', deps.secret).update('digest-admin-session:v2').digest();
  const mac = (s: string) => createHmac('sha256', key).update(s).digest('base64url');

  /** The session id of a well-signed cookie value, else undefined (no Redis needed). */
  function idOf(cookie: string | undefined): string | undefined {
    const [id, tag, extra] = (cookie ?? '').split('.');
    if (extra !== undefined || !id || !tag || !ID.test(id)) return undefined;
    return safeEqual(tag, mac(`session:${id}`)) ? id : undefined;
  }

  async function drop(idHash: string): Promise<void> {
    await redis.multi().del(keys.adminSession(idHash)).zrem(keys.adminSessions, idHash).exec();
  }

  return {
    /** Starts a session; returns the cookie value. */
    async create(): Promise<string> {
      const id = randomBytes(32).toString('base64url');
      await storeSession(deps, sha256(id), now());
      return `${id}.${mac(`session:${id}`)}`;
    },

    /** The session id when the cookie names a live session (touching it), else undefined. */
    async verify(cookie: string | undefined): Promise<string | undefined> {
      const id = idOf(cookie);
      if (!id) return undefined;
      const idHash = sha256(id);
      const h = await redis.hgetall(keys.adminSession(idHash));
      const created = Number(h.c);
      const seen = Number(h.s);
      if (!created || !seen) return undefined;
      const t = now();
      if (t - created >= SESSION_ABSOLUTE_MS || t - seen >= SESSION_IDLE_MS) {
        await drop(idHash);
        return undefined;
      }
      // Best effort: a Redis that refuses writes must not lock the admin out of reading.
      if (t - seen >= TOUCH_EVERY_MS)
        await redis.hset(keys.adminSession(idHash), 's', String(t)).catch(() => undefined);
      return id;
    },

    /** Ends the session the cookie names (logout). */
    async revoke(cookie: string | undefined): Promise<void> {
      const id = idOf(cookie);
      if (id) await drop(sha256(id));
    },

    /** Ends every session; returns how many there were. */
    revokeAll: async (): Promise<number> => revokeAllSessions(deps),

    /** The CSRF token of a session: bound to it, useless without the cookie. */
    csrfFor(id: string): string {
      return mac(`csrf:${id}`);
    },
    verifyCsrf(id: string, candidate: unknown): boolean {
      return typeof candidate === 'string' && safeEqual(candidate, mac(`csrf:${id}`));
    },

    ...loginCodes(deps),
  };
}

export type AdminSessions = ReturnType<typeof createAdminSessions>;
