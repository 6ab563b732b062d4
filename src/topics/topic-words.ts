import { plural } from '../format-time.js';
import type { Topic } from './topic.js';
import type { TopicRemoval } from './topic-removal.js';

/** What a topic holds, in one line: "2 feeds, categories go, redis". */
export function topicParts(t: Topic): string {
  const parts = [];
  if (t.feeds.length) parts.push(plural(t.feeds.length, 'feed'));
  if (t.categories.length) {
    parts.push(
      `${t.categories.length === 1 ? 'category' : 'categories'} ${t.categories.join(', ')}`,
    );
  }
  return parts.join('; ');
}

/** What removing a topic did to the subscribers who had chosen it (CLI and admin pages). */
export function removalWords(name: string, subscribers: number): string {
  if (subscribers === 0) return `Topic "${name}" removed; no subscriber had chosen it.`;
  return (
    `Topic "${name}" removed. ${plural(subscribers, 'subscriber')} had chosen it: from their ` +
    `next digest they get the posts of their other topics, ` +
    `or every post where it was their only one.`
  );
}

/** A removal that stopped part-way, and how to finish it. */
export function unfinishedWords(r: TopicRemoval, how: string): string {
  return `Topic "${r.name}" is being removed (${r.done} of ${plural(r.of, 'subscriber')} gone through): ${how} to finish.`;
}
