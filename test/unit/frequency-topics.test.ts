import { describe, expect, it } from 'vitest';
import { lessOften, moreOften } from '../../src/digests/frequency.js';
import { inTopics, isTopicName, type Topic } from '../../src/topics/topic.js';

describe('frequencies', () => {
  it('steps to the next offered frequency, skipping those not offered', () => {
    expect(lessOften('daily', ['daily', 'weekly', 'monthly'])).toBe('weekly');
    expect(lessOften('daily', ['daily', 'monthly'])).toBe('monthly');
    expect(lessOften('monthly', ['daily', 'weekly', 'monthly'])).toBeUndefined();
    expect(moreOften('monthly', ['daily', 'monthly'])).toBe('daily');
    expect(moreOften('weekly', ['weekly', 'monthly'])).toBeUndefined();
  });
});

describe('topics', () => {
  const go: Topic = { name: 'Go', feeds: ['https://go.dev/blog/feed.atom'], categories: [] };
  const redis: Topic = { name: 'Redis', feeds: [], categories: ['redis', 'Databases'] };

  it('a post is in a topic by its feed or by one of its categories, without case', () => {
    expect(inTopics({ feed: 'https://go.dev/blog/feed.atom' }, [go])).toBe(true);
    expect(inTopics({ feed: 'https://x.example/feed', categories: ['REDIS'] }, [go, redis])).toBe(
      true,
    );
    expect(inTopics({ feed: 'https://x.example/feed', categories: ['databases'] }, [redis])).toBe(
      true,
    );
    expect(inTopics({ feed: 'https://x.example/feed', categories: ['Rust'] }, [go, redis])).toBe(
      false,
    );
    expect(inTopics({ feed: 'https://x.example/feed' }, [])).toBe(true);
  });

  it('topic names cannot carry the list separators', () => {
    expect(isTopicName('Go')).toBe(true);
    expect(isTopicName('Machine learning')).toBe(true);
    expect(isTopicName('Ελληνικά')).toBe(true);
    expect(isTopicName('a,b')).toBe(false);
    expect(isTopicName('a;b')).toBe(false);
    expect(isTopicName(' lead')).toBe(false);
    expect(isTopicName('x'.repeat(41))).toBe(false);
  });
});
