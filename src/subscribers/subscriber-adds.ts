import { isTimeZone } from '../config.js';
import { AppError, ValidationError } from '../errors.js';
import type { Keys, RedisClient } from '../redis.js';
import { addressKey, normaliseAddress } from './address.js';
import { addScript } from './store-scripts.js';
import { SUBSCRIBER_STATUSES, type Subscriber } from './subscriber.js';
import {
  clean,
  statusKeysOf,
  suppressionHash,
  type AddInput,
  type AddManyItem,
  type AddManyResult,
  type AddOutcome,
} from './subscriber-record.js';

/** Subscribers per Lua call: about 5 ms of Redis time each, so other clients are not held up. */
const CHUNK = 1000;
/** Chunks in flight at once: hides the round trip without queueing much in Redis. */
const IN_FLIGHT = 4;
const OUTCOMES: Record<string, AddOutcome> = {
  c: 'created',
  u: 'updated',
  n: 'unchanged',
  s: 'suppressed',
};

/** The subscriber store's adds, one or many (src/subscribers/subscriber-store.ts). */
export function createSubscriberAdds(deps: {
  redis: RedisClient;
  keys: Keys;
  get: (id: number) => Promise<Subscriber | undefined>;
}) {
  const { redis, keys, get } = deps;
  const subPrefix = keys.subscriber('');
  const statusKeys = statusKeysOf(keys);

  async function runAdd(args: string[]): Promise<(string | number)[]> {
    const keyList = [
      keys.subscriberByEmail,
      keys.subscriberSeq,
      keys.suppressions,
      ...statusKeys,
      keys.subscriberGroups,
    ];
    return (await addScript(redis, keyList, [subPrefix, Date.now(), ...args])) as (
      string | number
    )[];
  }

  return {
    /**
     * Adds one subscriber, or finds the existing one for the same address (created: false).
     * An existing subscriber's status only moves pending → confirmed, or to an opt-out status
     * (unsubscribed, bounced, complained) the input names; it is never revived from an opt-out.
     * Missing name/tz/consent are filled in, present ones kept. A suppressed address is refused
     * with SUBSCRIBER_SUPPRESSED; an invalid one with its ADDRESS_* / SUBSCRIBER_* code.
     */
    async add(
      input: AddInput,
    ): Promise<{ subscriber: Subscriber; created: boolean; updated: boolean }> {
      const prepared = prepare(input);
      if (!('args' in prepared)) {
        throw new ValidationError(
          prepared.code ?? 'ADDRESS_INVALID',
          prepared.message ?? 'invalid subscriber',
        );
      }
      const [outcome, id] = await runAdd(prepared.args);
      if (outcome === 's') {
        throw new AppError(
          'SUBSCRIBER_SUPPRESSED',
          'this address is suppressed and cannot be added again',
          409,
        );
      }
      const subscriber = await get(Number(id));
      if (!subscriber) throw new Error(`subscriber ${id} vanished right after add`);
      return { subscriber, created: outcome === 'c', updated: outcome === 'u' };
    },

    /**
     * Adds many subscribers with the rules of `add`, `CHUNK` per Lua call and a few calls in
     * flight. Invalid and suppressed inputs are counted and reported per item, never thrown.
     * Callers with very large inputs pass them in slices (the import passes 1,000 at a time).
     */
    addMany(inputs: readonly AddInput[]): Promise<AddManyResult> {
      return addInChunks(inputs, runAdd);
    },
  };
}

/** Validates one input into the script's 12 arguments, or says why not. */
function prepare(input: AddInput): { args: string[] } | AddManyItem {
  const addr = normaliseAddress(input.email);
  if (!addr.ok) return { outcome: 'invalid', code: addr.code, message: addr.message };
  const status = input.status ?? 'pending';
  if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(status)) {
    return {
      outcome: 'invalid',
      code: 'SUBSCRIBER_STATUS_INVALID',
      message: `unknown status: ${status}`,
    };
  }
  const tz = input.tz?.trim() ?? '';
  if (tz && !isTimeZone(tz)) {
    return {
      outcome: 'invalid',
      code: 'SUBSCRIBER_TZ_INVALID',
      message: `unknown time zone: ${tz}`,
    };
  }
  const c = input.consent;
  return {
    args: [
      addressKey(addr.email),
      addr.email,
      suppressionHash(addr.email),
      status,
      clean(input.name, 200),
      tz,
      c ? String(c.at.getTime()) : '',
      clean(c?.ip, 64),
      clean(c?.userAgent, 512),
      clean(c?.source, 512),
      input.frequency ?? '',
      (input.topics ?? []).join(','),
    ],
  };
}

async function addInChunks(
  inputs: readonly AddInput[],
  runAdd: (args: string[]) => Promise<(string | number)[]>,
): Promise<AddManyResult> {
  const items = new Array<AddManyItem>(inputs.length);
  const chunks: { at: number[]; args: string[] }[] = [];
  let cur: { at: number[]; args: string[] } = { at: [], args: [] };
  inputs.forEach((input, i) => {
    const p = prepare(input);
    if (!('args' in p)) {
      items[i] = p;
      return;
    }
    cur.at.push(i);
    cur.args.push(...p.args);
    if (cur.at.length === CHUNK) {
      chunks.push(cur);
      cur = { at: [], args: [] };
    }
  });
  if (cur.at.length) chunks.push(cur);
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const out = await runAdd(chunk.args);
      chunk.at.forEach((at, j) => {
        items[at] = {
          outcome: OUTCOMES[out[2 * j] as string] ?? 'unchanged',
          id: Number(out[2 * j + 1]) || undefined,
        };
      });
    }
  };
  // Lua calls on one connection run in the order sent, so ids still follow input order.
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, chunks.length) }, worker));
  const result: AddManyResult = {
    created: 0,
    updated: 0,
    unchanged: 0,
    suppressed: 0,
    invalid: 0,
    items,
  };
  for (const item of items) result[item.outcome]++;
  return result;
}
