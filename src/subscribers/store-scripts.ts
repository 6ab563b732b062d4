import { luaCommand } from '../lua-command.js';

/*
 * Lua scripts of the subscriber store. Each one changes a subscriber's hash, the by-email index,
 * the per-status zsets and the suppressions together, so they never disagree.
 *
 * Keys a script builds itself (`<prefix>:sub:<id>`) share the prefix's hash tag with the
 * declared keys, so on Redis Cluster they live in the same slot (BullMQ's scripts rely on the
 * same rule).
 *
 * Hash fields (short names keep a million hashes small; empty fields are omitted):
 *   e email · n name · s status · z tz · p paused ("1") · c createdAt ms · u updatedAt ms
 *   k confirmedAt ms · ca/ci/cu/cs consent at ms / ip / user agent / source
 *   f frequency (absent: the site's default) · t topic names, comma-separated (absent: all)
 * KEYS[z1..z5] are always the per-status zsets in SUBSCRIBER_STATUSES order.
 *
 * The group index (fan-out by send instant, src/digests/fan-out.ts): every CONFIRMED subscriber
 * is in exactly one zset `<groups>:<f>:<tz>` (score = id), f and tz being the hash's fields or
 * `default` (the site's DIGEST_DEFAULT_FREQUENCY / DIGEST_TZ at send time, so a config change
 * needs no re-index); the hash `<groups>` counts each zset's members. Every script that moves
 * a status, a frequency or a zone, or deletes a subscriber, moves the index in the same call,
 * and a count moves only when its zset really changed, so counts and zsets never disagree.
 */

/**
 * KEYS: byEmail, seq, suppressions, z1..z5, groups.
 * ARGV: subPrefix, now, then 12 per entry: key, email, sha, status, name, tz, ca, ci, cu, cs,
 *   frequency, topics.
 * Returns per entry: outcome ('c' created, 'u' updated, 'n' unchanged, 's' suppressed), id (0 if none).
 * An existing subscriber's status only moves pending → confirmed, or from pending/confirmed to an
 * opt-out status the input names; unsubscribed, bounced and complained are never revived.
 */
export const addScript = luaCommand(new URL('./lua/subscriber-add.lua', import.meta.url), 9);

/**
 * KEYS: subscriber hash, suppressions, z1..z5, groups. ARGV: id, status, now, sha ('' = none).
 * Returns the previous status, or false when the subscriber does not exist.
 * Moving to bounced or complained also records the address's suppression.
 */
export const setStatusScript = luaCommand(
  new URL('./lua/subscriber-set-status.lua', import.meta.url),
  8,
);

/**
 * KEYS: subscriber hash, byEmail, suppressions, z1..z5, groups. ARGV: id, key, sha ('' = no
 * suppression), now.
 * Deletes the subscriber everywhere; with a sha, records it as erased. Returns 1, or 0 if missing.
 */
export const removeScript = luaCommand(new URL('./lua/subscriber-remove.lua', import.meta.url), 9);

/**
 * KEYS: subscriber hash, groups. ARGV: id, now, n (number of field/value pairs to set), pairs...,
 * fields to delete...
 * Returns 0 when the subscriber does not exist (a deleted subscriber is never re-created).
 * A new frequency or zone moves a confirmed subscriber to its new group.
 */
export const updateScript = luaCommand(new URL('./lua/subscriber-update.lua', import.meta.url), 2);

/**
 * KEYS: byEmail, suppressions, z1..z5, groups. ARGV: subPrefix, key, sha, reason, now, status ('' = none).
 * Records the suppression; an existing pending or confirmed subscriber moves to `status`.
 * Returns the subscriber id or 0.
 */
export const suppressScript = luaCommand(
  new URL('./lua/subscriber-suppress.lua', import.meta.url),
  8,
);

/**
 * The start-up migration of the group index (idempotent): puts each listed id that is
 * confirmed now into its group. KEYS: groups. ARGV: subPrefix, ids... Returns how many were
 * added (0 for those already indexed, by the store's scripts or an earlier run).
 */
export const indexGroupsScript = luaCommand(
  new URL('./lua/subscriber-index-groups.lua', import.meta.url),
  1,
);
