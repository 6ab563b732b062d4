import type { MeasureImage } from './measure-image.js';
import type { PostImageStore } from './post-image-store.js';

/** Images measured per feed and ingest at most (the newest first); the rest wait for the next. */
export const MEASURED_PER_RUN = 25;
/** Older posts are not measured: no digest takes them (its window, then 14 days back). */
export const MEASURE_RECENT_DAYS = 60;
const PARALLEL = 4;

/**
 * Measures the images of posts a feed just gave that have none measured yet (each image once:
 * one that cannot be measured is recorded so, and the digest leaves it out). The digest needs
 * each image's size for its numeric `width` and `height` (render/digest-view.ts).
 */
export async function measurePostImages(
  deps: { images: PostImageStore; measure: MeasureImage; now: Date },
  ids: string[],
): Promise<{ measured: number; unmeasurable: number }> {
  const since = new Date(deps.now.getTime() - MEASURE_RECENT_DAYS * 86_400_000);
  const todo = (await deps.images.imagesToMeasure(ids, since)).slice(0, MEASURED_PER_RUN);
  const counts = { measured: 0, unmeasurable: 0 };
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { id, imageUrl } = todo[next++]!;
      const size = await deps.measure(imageUrl);
      await deps.images.setImageSize(id, imageUrl, size);
      counts[size ? 'measured' : 'unmeasurable']++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, todo.length) }, worker));
  return counts;
}
