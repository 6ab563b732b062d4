import type { ImageSize } from './image-size.js';

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
  /** ISO 8601; firstSeenAt when the feed gave no date it could read (see dateIssue). */
  publishedAt: string;
  /** Plain text, at most about 300 characters. */
  summary: string;
  imageUrl: string | undefined;
  /**
   * The image's size as shown, measured at ingest (measure-image.ts); absent until measured or
   * when it could not be. The digest shows only images whose size it knows.
   */
  imageSize?: ImageSize;
  /** ISO 8601: when ingest first stored it. */
  firstSeenAt: string;
  /** The blog's name: its feed's title (or the aggregated item's own source); absent for manual posts. */
  blog?: string;
  /** The feed's categories / tags for this post, plain text. */
  categories?: string[];
  /**
   * Set when publishedAt is only firstSeenAt because the feed gave no date ('missing') or one
   * that could not be read or lay in the future ('unreadable', the text in unreadableDate).
   */
  dateIssue?: 'missing' | 'unreadable';
  unreadableDate?: string;
  /**
   * Its arrival order: a sequence number given when it was first stored (README guarantee 3).
   * Absent on posts stored by earlier versions, which count as arrived before every edition.
   */
  seq?: number;
  /** Earlier versions only: the digest date that carried it (such a post never goes out again). */
  digest?: string;
}

/** What `posts list` says of a post its feed did not date: ' [no date, …]', or '' when dated. */
export function dateNote(post: Pick<Post, 'dateIssue' | 'unreadableDate'>): string {
  if (!post.dateIssue) return '';
  const why = post.unreadableDate ? `unreadable date "${post.unreadableDate}"` : 'no date';
  return ` [${why}, dated when first seen]`;
}
