import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';

/**
 * SEND_RATE: messages per second across every worker process together, enforced in Redis with
 * GCRA (the generic cell rate algorithm) in its reserving form. One key holds the theoretical
 * arrival time (TAT) of the next message, in microseconds of Redis's own clock (`TIME`), so
 * machines whose clocks disagree still share one timeline. Each send reserves the next slot
 * with one script call and sleeps until it: no polling, no thundering herd of waiters, and the
 * slots stay evenly spaced however late a timer fires (a slot is computed from the previous
 * slot, not from when the previous message actually left).
 */

/**
 * KEYS: the bucket. ARGV: interval µs, tolerance µs (burst - 1 intervals).
 * Returns the µs to wait before sending (0: now). Always reserves: a caller that dies while
 * waiting wastes one slot, which only ever makes the rate lower, never higher.
 */
const reserveScript = luaCommand(new URL('./lua/send-rate-reserve.lua', import.meta.url), 1);

export interface SendRateLimiter {
  /** Messages per second, across all processes. */
  readonly rate: number;
  /** Resolves when this process may hand one message to SMTP. */
  acquire(): Promise<void>;
}

/**
 * Creates the shared limiter for `rate` messages per second. `burst` (default 1) lets that many
 * messages go at once after an idle spell; 1 keeps the spacing exact.
 */
export function createSendRateLimiter(deps: {
  redis: RedisClient;
  keys: Keys;
  rate: number;
  burst?: number;
  sleep?: (ms: number) => Promise<void>;
}): SendRateLimiter {
  const { redis, keys, rate } = deps;
  if (!(rate > 0)) throw new RangeError(`SEND_RATE must be positive, got ${rate}`);
  const interval = Math.max(1, Math.round(1_000_000 / rate));
  const tolerance = interval * Math.max(0, Math.floor(deps.burst ?? 1) - 1);
  const key = keys.rate('send', 'global');
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    rate,
    async acquire() {
      const waitUs = Number(await reserveScript(redis, [key], [interval, tolerance]));
      if (waitUs >= 1000) await sleep(Math.round(waitUs / 1000));
    },
  };
}
