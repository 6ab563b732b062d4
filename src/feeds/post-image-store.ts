import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import { formatImageSize, type ImageSize } from './image-size.js';

/**
 * Records an image's size (`WxH`, or `-`: could not be measured) on a post that still shows
 * that image and has no size yet. KEYS: post. ARGV: imageUrl, size. Returns 1 when recorded.
 */
const setImageSizeScript = luaCommand(new URL('./lua/post-image-size.lua', import.meta.url), 1);

/**
 * The sizes of posts' images, kept in each post's hash (`imageSize`, which the post store's
 * upsert clears when the image changes): ingest measures what is missing (post-images.ts).
 */
export function createPostImageStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  return {
    /**
     * Of these posts, those with an image not measured yet, published since `since` and not in
     * a digest (ingest measures them: post-images.ts).
     */
    async imagesToMeasure(ids: string[], since: Date): Promise<{ id: string; imageUrl: string }[]> {
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids)
        pipeline.hmget(keys.post(id), 'imageUrl', 'imageSize', 'publishedAt', 'digest');
      const rows = (await pipeline.exec()) ?? [];
      const out: { id: string; imageUrl: string }[] = [];
      rows.forEach(([err, row], i) => {
        if (err) throw err;
        const [imageUrl, size, publishedAt, digest] = row as (string | null)[];
        if (!imageUrl || size || digest || Date.parse(publishedAt ?? '') < since.getTime()) return;
        out.push({ id: ids[i]!, imageUrl });
      });
      return out;
    },

    /**
     * Records the size of a post's image, or that it could not be measured (`undefined`: the
     * digest leaves the image out, and it is not measured again). Only while the post still
     * shows `imageUrl`; a size recorded first stays. True when recorded.
     */
    async setImageSize(
      id: string,
      imageUrl: string,
      size: ImageSize | undefined,
    ): Promise<boolean> {
      const value = size ? formatImageSize(size) : '-';
      return (await setImageSizeScript(redis, [keys.post(id)], [imageUrl, value])) === 1;
    },
  };
}

export type PostImageStore = ReturnType<typeof createPostImageStore>;
