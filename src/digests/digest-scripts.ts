import { luaCommand } from '../lua-command.js';

/*
 * The digest hash's compare-and-set moves (src/digests/digest-store.ts). Each names every key
 * it touches in KEYS (cluster-safe) and moves the status only from the states it expects.
 */

/**
 * Creates the edition if absent (status building). Returns 1 when this call created it.
 * KEYS: digest, digests, digestsOf(frequency). ARGV: id, frequency, date, sendAt, windowStart,
 * windowEnd, now, score.
 */
export const createScript = luaCommand(new URL('./lua/digest-create.lua', import.meta.url), 3);

/**
 * Freezes the edition's post range once (README guarantee 1): seqTo, and seqFrom and
 * prevBuiltAt when given ('' = none: the first edition of its frequency). The first builder
 * wins; returns the stored seqTo, seqFrom, prevBuiltAt.
 */
export const freezeScript = luaCommand(new URL('./lua/digest-freeze.lua', import.meta.url), 1);

/**
 * Marks the edition built once, naming its main variant (the post set of a reader with no
 * cursor and no topics, rendered once into its variant hash): the first builder wins and a
 * second (a retry racing a stalled one) keeps the winner's. A held or skipped edition (no
 * builtAt), or a legacy `empty` one, is built here for real.
 * ARGV: subject, variant, postIds (JSON), builtAt.
 */
export const storeContentScript = luaCommand(
  new URL('./lua/digest-store-content.lua', import.meta.url),
  1,
);

/**
 * Records an edition that is not built as held (preflight failed) or skipped (no posts, missed).
 * KEYS as createScript. ARGV: createScript's eight, then status, reason.
 * Returns 0 when the edition is built already (its status is left alone).
 */
export const markScript = luaCommand(new URL('./lua/digest-mark.lua', import.meta.url), 3);

/**
 * Moves a sending edition to its final status once every recipient is accounted for (sent,
 * failed, skipped or rolled over): `sent`,
 * `sent_with_failures`, or `failed` when none was sent and some failed.
 */
export const completeScript = luaCommand(new URL('./lua/digest-complete.lua', import.meta.url), 1);

/**
 * Moves the fan-out cursor from ARGV[1] to ARGV[2] and counts ARGV[3] recipients, only if the
 * cursor is still where this builder read it: two builders of one digest (a stall taken for a
 * death) can never count a page twice.
 */
export const advanceScript = luaCommand(new URL('./lua/digest-advance.lua', import.meta.url), 1);
