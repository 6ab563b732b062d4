import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';

/** Subscriber ids looked at per script call: a few ms of Redis time, so nobody is held up. */
const CHUNK = 1000;

/*
 * Starts a removal: moves the topic out of the topics hash (from now on nobody can choose it
 * and no digest filters by it) into the removals hash, with the subscriber ids to go through
 * (1 up to the id counter now: later subscribers cannot have chosen it).
 * KEYS: topics, removals, subscriber id counter. ARGV: lower-cased name.
 * Returns 1, or 0 when there is no such topic.
 */
const START = luaCommand(new URL('./lua/topic-removal-start.lua', import.meta.url), 3);

/*
 * One step of a removal: takes the topic's name out of the topic choice (field `t`, names
 * comma-separated) of the next CHUNK subscribers, and moves the removal's cursor and count in
 * the same call, so a removal stopped part-way resumes where it was and counts each subscriber
 * once. Names compare without ASCII case. Subscriber hashes are built from the prefix
 * (`<prefix>:sub:<id>`) and share the hash tag of KEYS (the subscriber store's own rule).
 * KEYS: removals. ARGV: lower-cased name, subscriber key prefix, chunk.
 * Returns {done (0|1), subscribers who had it so far, name}; {} when no removal is under way.
 */
const STEP = luaCommand(new URL('./lua/topic-removal-step.lua', import.meta.url), 1);

/** A removal that has not gone through every subscriber yet (it stopped: run it again). */
export interface TopicRemoval {
  name: string;
  /** Subscribers gone through, of `of`. */
  done: number;
  of: number;
}

/**
 * Removing a topic: it leaves the topics hash at once, then every subscriber's choice, paging
 * through subscriber ids in chunks (memory and each call's Redis time stay flat as the list
 * grows), with a cursor in Redis so a removal that stopped (Redis away, the process killed)
 * is finished by running it again.
 */
export function createTopicRemoval(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  const subPrefix = keys.subscriber('');

  return {
    /**
     * Removes the topic (lower-cased `key`), or finishes its removal. Returns its name and how
     * many subscribers had chosen it, or undefined when there is no such topic or removal.
     */
    async run(key: string): Promise<{ name: string; subscribers: number } | undefined> {
      await START(redis, [keys.topics, keys.topicRemovals, keys.subscriberSeq], [key]);
      for (;;) {
        const out = (await STEP(redis, [keys.topicRemovals], [key, subPrefix, CHUNK])) as
          [number, number, string] | [];
        if (out.length === 0) return undefined;
        if (out[0] === 1) return { name: out[2], subscribers: out[1] };
      }
    },

    /** Removals that stopped part-way. */
    async unfinished(): Promise<TopicRemoval[]> {
      const all = await redis.hvals(keys.topicRemovals);
      return all.map((state) => {
        const [next, last, , ...name] = state.split('|');
        return { name: name.join('|'), done: Number(next) - 1, of: Number(last) };
      });
    },
  };
}
