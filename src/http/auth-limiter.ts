import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';

/** How failed admin authentication is limited (README, "Security"). */
export interface AuthLimits {
  /** Failures per client (IPv4 address or IPv6 /64) per window: the last one starts a delay. */
  perClient: number;
  /** Failures from everyone together per window: the last one starts a global delay. */
  global: number;
  /** The window failures are counted in. */
  windowMs: number;
  /** The first delay; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest delay for one client, and for everyone (the real admin waits at most this). */
  maxClientDelayMs: number;
  maxGlobalDelayMs: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  perClient: 5,
  global: 50,
  windowMs: 15 * 60_000,
  baseDelayMs: 1000,
  maxClientDelayMs: 60_000,
  maxGlobalDelayMs: 30_000,
};

/*
 * One atomic step per authentication attempt, after the credential was checked in JS (a
 * constant-time compare, no I/O). While a client's or the global delay runs, every attempt is
 * refused without saying whether it was right, so a burst of guesses learns nothing. A right
 * credential reads only (and clears the client's count), so the real admin gets in even while
 * Redis refuses writes; a wrong one must be counted, so it fails (closed) when Redis cannot.
 * KEYS: client fails, client lock, global fails, global lock
 * ARGV: ok (1/0), window ms, per-client free, global free, base ms, client max ms, global max ms
 * Returns the ms to wait (> 0), 0 for a right credential, -1 for a counted failure.
 */
const ATTEMPT = luaCommand(new URL('./lua/auth-attempt.lua', import.meta.url), 4);

export type AttemptOutcome = { ok: true } | { ok: false; waitMs?: number };

/** Limits failed admin authentication per client and globally, with short growing delays. */
export function createAuthLimiter(deps: { redis: RedisClient; keys: Keys; limits: AuthLimits }) {
  const { redis, keys, limits } = deps;
  return {
    /**
     * Records an attempt whose credential was `ok`. `{ ok: false, waitMs }`: refused for now
     * (right or wrong); `{ ok: false }`: wrong. Throws when Redis cannot count (fail closed).
     */
    async attempt(client: string, ok: boolean): Promise<AttemptOutcome> {
      const out = Number(
        await ATTEMPT(
          redis,
          [
            keys.rate('admin-fail', client),
            keys.rate('admin-lock', client),
            keys.rate('admin-fail', '*'),
            keys.rate('admin-lock', '*'),
          ],
          [
            ok ? 1 : 0,
            limits.windowMs,
            limits.perClient,
            limits.global,
            limits.baseDelayMs,
            limits.maxClientDelayMs,
            limits.maxGlobalDelayMs,
          ],
        ),
      );
      if (out > 0) return { ok: false, waitMs: out };
      return out === 0 ? { ok: true } : { ok: false };
    },
  };
}

export type AuthLimiter = ReturnType<typeof createAuthLimiter>;
