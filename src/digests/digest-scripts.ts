import { defineScript } from '../redis.js';

/*
 * The digest hash's compare-and-set moves (src/digests/digest-store.ts). Each names every key
 * it touches in KEYS (cluster-safe) and moves the status only from the states it expects.
 */

/** Creates the digest if absent (status building). Returns 1 when this call created it. */
export const createScript = defineScript(`
if redis.call('HSETNX', KEYS[1], 'status', 'building') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'date', ARGV[1], 'sendAt', ARGV[2], 'windowStart', ARGV[3],
  'windowEnd', ARGV[4], 'createdAt', ARGV[5], 'recipients', 0, 'sent', 0, 'failed', 0, 'skipped', 0)
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
return 1
`);

/**
 * Stores the rendered content once: the first builder wins and a second (a retry racing a
 * stalled one) keeps the winner's content, so a digest is rendered into the store at most once.
 * A held or skipped digest (no builtAt), or a legacy `empty` one, is built here for real.
 */
export const storeContentScript = defineScript(`
local f = redis.call('HMGET', KEYS[1], 'builtAt', 'status')
if f[1] and f[2] ~= 'empty' then return 0 end
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'html', ARGV[2], 'text', ARGV[3],
  'postIds', ARGV[4], 'builtAt', ARGV[5], 'status', 'sending')
redis.call('HDEL', KEYS[1], 'reason', 'reasonAt', 'heldSince', 'holds')
return 1
`);

/**
 * Records a digest that is not built as held (preflight failed) or skipped (no posts, missed).
 * KEYS: digest, digests. ARGV: status, reason, date, sendAt, windowStart, windowEnd, now, score.
 * Returns 0 when the digest is built already (its status is left alone).
 */
export const markScript = defineScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'builtAt')
if f[2] and f[1] ~= 'empty' then return 0 end
if not f[1] then
  redis.call('HSET', KEYS[1], 'date', ARGV[3], 'sendAt', ARGV[4], 'windowStart', ARGV[5],
    'windowEnd', ARGV[6], 'createdAt', ARGV[7], 'recipients', 0, 'sent', 0, 'failed', 0, 'skipped', 0)
  redis.call('ZADD', KEYS[2], ARGV[8], ARGV[3])
end
if f[1] == 'empty' then redis.call('HDEL', KEYS[1], 'builtAt', 'postIds') end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'reason', ARGV[2], 'reasonAt', ARGV[7])
if ARGV[1] == 'held' then
  redis.call('HSETNX', KEYS[1], 'heldSince', ARGV[7])
  redis.call('HINCRBY', KEYS[1], 'holds', 1)
else
  redis.call('HDEL', KEYS[1], 'heldSince', 'holds')
end
return 1
`);

/**
 * Moves a sending digest to its final status once every recipient is accounted for: `sent`,
 * `sent_with_failures`, or `failed` when none was sent and some failed.
 */
export const completeScript = defineScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'fanoutDone', 'recipients', 'sent', 'failed', 'skipped')
if f[1] ~= 'sending' or f[2] ~= '1' then return 0 end
local done = tonumber(f[4]) + tonumber(f[5]) + tonumber(f[6])
if done < tonumber(f[3]) then return 0 end
local status = 'sent'
if tonumber(f[5]) > 0 then
  if tonumber(f[4]) == 0 then status = 'failed' else status = 'sent_with_failures' end
end
redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', ARGV[1])
return 1
`);

/**
 * Moves the fan-out cursor from ARGV[1] to ARGV[2] and counts ARGV[3] recipients, only if the
 * cursor is still where this builder read it: two builders of one digest (a stall taken for a
 * death) can never count a page twice.
 */
export const advanceScript = defineScript(`
local cur = redis.call('HGET', KEYS[1], 'fanoutCursor') or '0'
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'fanoutCursor', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'recipients', ARGV[3])
return 1
`);
