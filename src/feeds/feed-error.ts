import { AppError } from '../errors.js';

/** Stable codes for everything that can go wrong while fetching or parsing one feed. */
export type FeedErrorCode =
  | 'FEED_INVALID_SOURCE'
  | 'FEED_NOT_FOUND'
  | 'FEED_TIMEOUT'
  | 'FEED_TOO_LARGE'
  | 'FEED_PRIVATE_ADDRESS'
  | 'FEED_HTTP_STATUS'
  | 'FEED_TOO_MANY_REDIRECTS'
  | 'FEED_NETWORK'
  | 'FEED_PARSE'
  | 'FEED_ENTITY_LIMIT'
  | 'FEED_NO_LINKS'
  | 'FEED_UNKNOWN';

/**
 * One feed failed. Ingest records `code: message` on the feed and carries on with the others;
 * the status is what an admin API would answer (the feed, not our server, is at fault).
 */
export class FeedError extends AppError {
  declare readonly code: FeedErrorCode;
  constructor(code: FeedErrorCode, message: string, status = 502) {
    super(code, message, status);
    this.name = 'FeedError';
  }
}

/** `CODE: message` for any error, for logs and the feed's `lastError`. */
export function describeFeedError(err: unknown): string {
  if (err instanceof AppError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `FEED_UNKNOWN: ${err.message}`;
  return `FEED_UNKNOWN: ${String(err)}`;
}
