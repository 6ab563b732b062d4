import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';

/**
 * The variants of an edition: one hash per distinct post set (`keys.digestVariant(id, vid)`),
 * holding its content rendered once (subject, HTML and text with placeholders) and its post
 * ids. A variant is written once and never changed; the edition's `renders` counter counts the
 * variants rendered, the archive page's copy (`ARCHIVE_VARIANT`) among them (README guarantee 5).
 */

export interface VariantContent {
  subject: string;
  html: string;
  text: string;
  /** The posts shown, newest first; `beyond` more were only counted. */
  postIds: string[];
  beyond: number;
}

/** KEYS: variant, digest. ARGV: subject, html, text, postIds, beyond. 1 when stored by this call. */
const storeScript = luaCommand(new URL('./lua/variant-store.lua', import.meta.url), 2);

/** KEYS: lock. ARGV: owner. Deletes the lock only if this owner still holds it. */
const unlockScript = luaCommand(new URL('./lua/variant-unlock.lua', import.meta.url), 1);

export function createVariantStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  return {
    async get(edition: string, variant: string): Promise<VariantContent | undefined> {
      const f = await redis.hgetall(keys.digestVariant(edition, variant));
      if (f.html === undefined) return undefined;
      return {
        subject: f.subject ?? '',
        html: f.html,
        text: f.text ?? '',
        postIds: f.postIds ? (JSON.parse(f.postIds) as string[]) : [],
        beyond: Number(f.beyond ?? 0),
      };
    },

    async exists(edition: string, variant: string): Promise<boolean> {
      return (await redis.exists(keys.digestVariant(edition, variant))) === 1;
    },

    /** Stores a variant once and counts the render; false when it was stored already. */
    async store(edition: string, variant: string, c: VariantContent): Promise<boolean> {
      const out = await storeScript(
        redis,
        [keys.digestVariant(edition, variant), keys.digest(edition)],
        [c.subject, c.html, c.text, JSON.stringify(c.postIds), c.beyond],
      );
      return out === 1;
    },

    /** Takes the render lock of a variant (SET NX PX); false while another process holds it. */
    async lock(edition: string, variant: string, owner: string, ttlMs: number): Promise<boolean> {
      const key = keys.digestVariantLock(edition, variant);
      return (await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
    },

    async unlock(edition: string, variant: string, owner: string): Promise<void> {
      await unlockScript(redis, [keys.digestVariantLock(edition, variant)], [owner]);
    },

    async locked(edition: string, variant: string): Promise<boolean> {
      return (await redis.exists(keys.digestVariantLock(edition, variant))) === 1;
    },
  };
}

export type VariantStore = ReturnType<typeof createVariantStore>;
