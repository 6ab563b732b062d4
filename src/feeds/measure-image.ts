import { FeedError } from './feed-error.js';
import { readImageSize, type ImageSize } from './image-size.js';
import { fetchFeed, isHttpSource, type FetchFeedOptions } from './safe-fetch.js';

/** Enough for any header we read: a JPEG's frame can follow a large EXIF block. */
export const MEASURE_BYTES = 256 * 1024;
const MEASURE_TIMEOUT_MS = 10_000;
const IMAGE_ACCEPT = 'image/png, image/jpeg, image/gif, image/webp;q=0.9, image/*;q=0.5';

export type MeasureImage = (url: string) => Promise<ImageSize | undefined>;

/**
 * Measures the image at an http(s) URL from its first bytes, through the feeds' safe fetch (the
 * same address guard, redirects re-checked, a time budget). Undefined when it cannot be fetched
 * or is no image readImageSize reads: the digest then leaves it out, since an image without
 * numeric dimensions is drawn at its natural size by Outlook.
 */
export function createImageMeasurer(
  opts: Pick<FetchFeedOptions, 'allowPrivate' | 'allowHosts' | 'userAgent' | 'timeoutMs'>,
): MeasureImage {
  return async (url) => {
    // Never a file path: only what a feed or LOGO_URL names on the web.
    if (!isHttpSource(url)) return undefined;
    try {
      const res = await fetchFeed(url, {
        timeoutMs: MEASURE_TIMEOUT_MS,
        ...opts,
        firstBytes: MEASURE_BYTES,
        accept: IMAGE_ACCEPT,
      });
      return res.notModified ? undefined : readImageSize(res.body);
    } catch (err) {
      if (err instanceof FeedError) return undefined;
      throw err;
    }
  };
}
