/**
 * A topic: a named set of feeds and/or feed categories an admin defines. A post is in a topic
 * when it came from one of its feeds or carries one of its categories (compared without case).
 * A subscriber with no topic chosen gets every post.
 */
export interface Topic {
  name: string;
  /** Feed URLs or paths, as the feed store keeps them (Post.feed). */
  feeds: string[];
  /** Category terms, as feeds give them (RSS <category>, Atom category/@term, JSON Feed tags). */
  categories: string[];
}

/** Letters, digits, spaces, `_ . -`; no `,` or `;` (they separate names in CSV and the CLI). */
export const TOPIC_NAME = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,39}$/u;

export function isTopicName(v: string): boolean {
  return TOPIC_NAME.test(v);
}

/** Whether `post` belongs to at least one of `topics`; no topics means everything. */
export function inTopics(
  post: { feed: string; categories?: readonly string[] },
  topics: readonly Topic[],
): boolean {
  if (topics.length === 0) return true;
  const cats = new Set((post.categories ?? []).map((c) => c.toLowerCase()));
  return topics.some(
    (t) => t.feeds.includes(post.feed) || t.categories.some((c) => cats.has(c.toLowerCase())),
  );
}
