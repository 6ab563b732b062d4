import { z } from 'zod';
import { HttpUrl } from '../http-url.js';
import { SUBSCRIBER_STATUSES } from '../subscribers/subscriber.js';

/*
 * zod schemas shared by the admin pages and the admin API. Bounds are generous but finite; the
 * stores and normaliseAddress give the precise reasons and codes.
 */

/**
 * Feeds added over HTTP are http(s) URLs only: a file path would let the web admin read local
 * files (the CLI, run by whoever has the machine, may add paths).
 */
export const FeedUrlBody = z.object({
  url: HttpUrl,
  /** `false` (JSON) or `"no"` (form): add without fetching it first. */
  check: z.union([z.boolean(), z.enum(['yes', 'no'])]).optional(),
});

/** The `check` field of FeedUrlBody as a boolean (default true). */
export const wantsCheck = (check: boolean | 'yes' | 'no' | undefined) =>
  check !== false && check !== 'no';

export const DateParams = z.object({ date: z.string().max(20) });

export const SubscribersQuery = z.object({
  status: z.union([z.enum(SUBSCRIBER_STATUSES), z.literal('')]).optional(),
  search: z.string().max(254).optional(),
  after: z.coerce.number().int().min(0).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
