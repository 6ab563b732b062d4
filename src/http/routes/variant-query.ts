import { z } from 'zod';
import type { Frequency } from '../../digests/frequency.js';
import type { PreviewOptions } from '../../digests/preview.js';
import { ValidationError } from '../../errors.js';

/**
 * Which variant of an edition a preview or a test send shows (admin pages and API alike):
 * `frequency` (a bare date in the path is that frequency's edition; '' or absent: the site's
 * default) and `topics`, a reader's choice: `a,b` (the API) or the field repeated (the page's
 * checkboxes); none: every post. As `digest preview --frequency F --topics a,b` takes them.
 */
export const VariantQuery = z.object({
  frequency: z.string().max(20).optional(),
  topics: z.union([z.string().max(2000), z.array(z.string().max(200)).max(100)]).optional(),
});
export type VariantQuery = z.infer<typeof VariantQuery>;

/** The preview options a VariantQuery names; a frequency the site does not offer is refused. */
export function variantOptions(q: VariantQuery, offered: readonly Frequency[]): PreviewOptions {
  const frequency = q.frequency || undefined;
  if (frequency !== undefined && !(offered as readonly string[]).includes(frequency))
    throw new ValidationError(
      'FREQUENCY_INVALID',
      `"${frequency}" is not a frequency this site offers (${offered.join(', ')})`,
    );
  const topics = (Array.isArray(q.topics) ? q.topics : (q.topics ?? '').split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  return {
    ...(frequency ? { frequency: frequency as Frequency } : {}),
    ...(topics.length ? { topics } : {}),
  };
}

/** The query string that names the same variant again (`?frequency=daily&topics=Go%2CRedis`). */
export function variantSearch(opts: PreviewOptions): string {
  const q = new URLSearchParams();
  if (opts.frequency) q.set('frequency', opts.frequency);
  if (opts.topics?.length) q.set('topics', opts.topics.join(','));
  const s = q.toString();
  return s ? `?${s}` : '';
}
