/**
 * A post: one item of a feed, or one added by an admin. Identified by its guid, else its URL,
 * across all feeds; `id` is derived from that key so the same post in two feeds is one post.
 */
export interface Post {
  id: string;
  /** The feed it came from (URL or path), or "manual" for a post added by an admin. */
  feed: string;
  guid: string | undefined;
  /** http(s) only. */
  url: string;
  title: string;
  author: string | undefined;
  /** ISO 8601; firstSeenAt when the feed gave no date. */
  publishedAt: string;
  /** Plain text, at most about 300 characters. */
  summary: string;
  imageUrl: string | undefined;
  /** ISO 8601: when ingest first stored it. */
  firstSeenAt: string;
  /** The digest date (YYYY-MM-DD) that carried it, once one did (DESIGN.md invariant 3). */
  digest?: string;
}
