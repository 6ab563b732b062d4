import { stripControls } from '../control-chars.js';
import { AppError, NotFoundError, ValidationError } from '../errors.js';
import { createFeedStore, normaliseSource, type FeedStore } from '../feeds/feed-store.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import { createTopicRemoval } from './topic-removal.js';
import { isTopicName, type Topic } from './topic.js';

/** What an admin gives to add a topic: feeds as typed (URL or path), category terms. */
export interface TopicInput {
  name: string;
  feeds?: readonly string[];
  categories?: readonly string[];
}

/** Feeds and categories per topic at most: a topic is a handful of each, not a list to page. */
const MAX_PARTS = 100;
const MAX_CATEGORY = 100;

/*
 * Adds a topic unless its name is taken or a removal of that name is still going through the
 * subscribers (it would take the new topic out of their choices too).
 * KEYS: topics, removals. ARGV: lower-cased name, JSON. Returns 1 added, 0 taken, 2 removing.
 */
const ADD = luaCommand(new URL('./lua/topic-add.lua', import.meta.url), 2);

/** A name refused with the rule it breaks. */
export function checkTopicName(raw: string): string {
  const name = raw.trim();
  if (!isTopicName(name)) {
    throw new ValidationError(
      'TOPIC_NAME_INVALID',
      `"${name.slice(0, 60)}" is not a topic name: 1 to 40 letters, digits, spaces, "_", "." or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** A category term as feeds give it: one line of plain text (src/control-chars.ts), spaces collapsed. */
function cleanCategory(raw: string): string {
  const term = stripControls(raw).replace(/\s+/g, ' ').trim();
  if (!term || term.length > MAX_CATEGORY) {
    throw new ValidationError(
      'TOPIC_CATEGORY_INVALID',
      `a category is 1 to ${MAX_CATEGORY} characters of text: "${term.slice(0, 60)}"`,
    );
  }
  return term;
}

/** The first of each value, comparing by `key`. */
function unique(values: string[], key: (v: string) => string = (v) => v): string[] {
  const seen = new Set<string>();
  return values.filter((v) => !seen.has(key(v)) && seen.add(key(v)));
}

/**
 * The topics an admin defines, in one Redis hash (`keys.topics`): the lower-cased name → the
 * topic as JSON. Names are unique without regard to case; the set is small (admin-managed), so
 * list reads it whole. Feeds are kept as the feed store keeps them (Post.feed), so a topic's
 * feed is found whichever way it was typed (`./feed.xml`, the absolute path, a URL with a
 * `#fragment`).
 */
export function createTopicStore(deps: {
  redis: RedisClient;
  keys: Keys;
  /** The feed store a topic's feeds must be in (default: the one on the same Redis). */
  feeds?: Pick<FeedStore, 'get'>;
}) {
  const { redis, keys } = deps;
  const feeds = deps.feeds ?? createFeedStore({ redis, keys });
  const removal = createTopicRemoval({ redis, keys });

  async function get(name: string): Promise<Topic | undefined> {
    const raw = await redis.hget(keys.topics, name.trim().toLowerCase());
    return raw ? (JSON.parse(raw) as Topic) : undefined;
  }

  return {
    /**
     * Adds a topic. Refused with a ValidationError naming the problem (TOPIC_NAME_INVALID,
     * TOPIC_EMPTY, TOPIC_FEED_UNKNOWN, TOPIC_CATEGORY_INVALID, FEED_INVALID_SOURCE) or an
     * AppError TOPIC_EXISTS (409) when the name is taken (HSETNX: two adds at once, one wins).
     */
    async add(input: TopicInput): Promise<Topic> {
      const topic = await validate(feeds, input);
      const key = topic.name.toLowerCase();
      const added = await ADD(
        redis,
        [keys.topics, keys.topicRemovals],
        [key, JSON.stringify(topic)],
      );
      if (added === 2) {
        throw new AppError(
          'TOPIC_EXISTS',
          `the topic "${topic.name}" is being removed: run its removal again to finish it, then add it`,
          409,
        );
      }
      if (added !== 1) {
        const existing = await get(topic.name);
        throw new AppError(
          'TOPIC_EXISTS',
          `there is a topic "${existing?.name ?? topic.name}" already: remove it first to change it`,
          409,
        );
      }
      return topic;
    },

    /** Every topic, by name. */
    list: () => listTopics(redis, keys),

    /** The topic of that name (any case), or undefined. */
    get,

    /** The topics among `names` that exist (a subscriber's choice); unknown names are dropped. */
    async getMany(names: readonly string[]): Promise<Topic[]> {
      if (names.length === 0) return [];
      const raws = await redis.hmget(keys.topics, ...names.map((n) => n.trim().toLowerCase()));
      return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Topic);
    },

    /**
     * Removes a topic and takes it out of every subscriber's choice: who had it gets the posts
     * of their other topics from their next digest, or everything when it was their only one.
     * The topic is gone for everyone at once; going through the subscribers resumes where it
     * stopped when a removal is run again (see `unfinished`). Returns the name and how many
     * subscribers had chosen it.
     *
     * @throws NotFoundError TOPIC_NOT_FOUND
     */
    async remove(name: string): Promise<{ name: string; subscribers: number }> {
      const done = await removal.run(name.trim().toLowerCase());
      if (!done) {
        throw new NotFoundError(
          'TOPIC_NOT_FOUND',
          `there is no topic "${name.trim().slice(0, 60)}"`,
        );
      }
      return done;
    },

    /** Removals that stopped before going through every subscriber: remove them again. */
    unfinished: () => removal.unfinished(),
  };
}

export type TopicStore = ReturnType<typeof createTopicStore>;

/** Each feed resolved as `digest feeds add` stores it, and known to the feed store. */
async function resolveFeeds(
  feeds: Pick<FeedStore, 'get'>,
  given: readonly string[],
): Promise<string[]> {
  const urls = unique(given.map((f) => normaliseSource(f)));
  for (const url of urls) {
    if (!(await feeds.get(url))) {
      throw new ValidationError(
        'TOPIC_FEED_UNKNOWN',
        `${url} is not one of the feeds: add it first (digest feeds add, or the Feeds page)`,
      );
    }
  }
  return urls;
}

/** The topic `input` describes, checked; its feeds must be in `feeds`. */
async function validate(feeds: Pick<FeedStore, 'get'>, input: TopicInput): Promise<Topic> {
  const name = checkTopicName(input.name);
  const categories = unique((input.categories ?? []).map(cleanCategory), (c) => c.toLowerCase());
  const given = input.feeds ?? [];
  if (given.length === 0 && categories.length === 0) {
    throw new ValidationError(
      'TOPIC_EMPTY',
      `the topic "${name}" needs at least one feed or one category`,
    );
  }
  if (given.length > MAX_PARTS || categories.length > MAX_PARTS) {
    throw new ValidationError(
      'TOPIC_TOO_LARGE',
      `a topic has at most ${MAX_PARTS} feeds and ${MAX_PARTS} categories`,
    );
  }
  return { name, feeds: await resolveFeeds(feeds, given), categories };
}

/** Every topic, by name (the hash is small: an admin's list). */
async function listTopics(redis: RedisClient, keys: Keys): Promise<Topic[]> {
  const all = await redis.hvals(keys.topics);
  return all
    .map((raw) => JSON.parse(raw) as Topic)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
}
