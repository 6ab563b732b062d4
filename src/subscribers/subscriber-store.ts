import { isTimeZone } from '../config.js';
import { AppError, NotFoundError, ValidationError } from '../errors.js';
import type { Keys, RedisClient } from '../redis.js';
import { isFrequency, type Frequency } from '../digests/frequency.js';
import { addressKey, normaliseAddress } from './address.js';
import {
  addScript,
  removeScript,
  setStatusScript,
  suppressScript,
  updateScript,
} from './store-scripts.js';
import { SUBSCRIBER_STATUSES, type Subscriber, type SubscriberStatus } from './subscriber.js';
import { createSubscriberSearch } from './subscriber-search.js';
import {
  clean,
  parse,
  suppressionHash,
  type AddInput,
  type AddManyItem,
  type AddManyResult,
  type AddOutcome,
  type Consent,
  type SuppressionReason,
} from './subscriber-record.js';

export type { AddInput, AddManyItem, AddManyResult, AddOutcome, Consent, SuppressionReason };

/** A recipient as the send path reads them (sendInfo). */
export type SendInfo = Pick<
  Subscriber,
  'id' | 'email' | 'status' | 'paused' | 'tz' | 'frequency' | 'topics'
> & {
  /** Field `q`: the post seq up to which they have been covered (moved by the ledger's claim). */
  cursor: number | undefined;
  /** When they confirmed (ms): a reader with no cursor gets the posts since then at least. */
  confirmedAtMs: number | undefined;
};
export { suppressionHash };

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
const SUPPRESS_STATUS: Record<SuppressionReason, SubscriberStatus | ''> = {
  bounced: 'bounced',
  complained: 'complained',
  manual: 'unsubscribed',
  erased: '',
};

/**
 * The subscriber store on Redis. One hash per subscriber (`keys.subscriber(id)`), ids from
 * INCR-style `keys.subscriberSeq`, an address index `keys.subscriberByEmail` (uniqueness key →
 * id), one zset per status scored by id (fan-out pages through `confirmed` in id order), and
 * `keys.suppressions` (hash sha256(address) → "reason:ms") that no add or import gets past.
 * Every change that touches more than one key runs as one Lua script.
 */
export function createSubscriberStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  const subPrefix = keys.subscriber('');
  const statusKeys = SUBSCRIBER_STATUSES.map((s) => keys.subscribersByStatus(s));

  function checkStatus(status: string): asserts status is SubscriberStatus {
    if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError('SUBSCRIBER_STATUS_INVALID', `unknown status: ${status}`);
    }
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

  async function get(id: number): Promise<Subscriber | undefined> {
    return parse(id, await redis.hgetall(keys.subscriber(id)));
  }

  async function getMany(ids: readonly number[]): Promise<(Subscriber | undefined)[]> {
    if (ids.length === 0) return [];
    const p = redis.pipeline();
    for (const id of ids) p.hgetall(keys.subscriber(id));
    const res = (await p.exec()) ?? [];
    return ids.map((id, i) => {
      const [err, h] = res[i] ?? [];
      if (err) throw err;
      return parse(id, h as Record<string, string>);
    });
  }

  async function idByEmail(email: string): Promise<number | undefined> {
    const addr = normaliseAddress(email);
    if (!addr.ok) return undefined;
    const id = await redis.hget(keys.subscriberByEmail, addressKey(addr.email));
    return id ? Number(id) : undefined;
  }

  async function removeById(id: number, suppress: boolean): Promise<boolean> {
    const email = await redis.hget(keys.subscriber(id), 'e');
    if (email === null) return false;
    const done = await removeScript(
      redis,
      [
        keys.subscriber(id),
        keys.subscriberByEmail,
        keys.suppressions,
        ...statusKeys,
        keys.subscriberGroups,
      ],
      [id, addressKey(email), suppress ? suppressionHash(email) : '', Date.now()],
    );
    return done === 1;
  }

  const search = createSubscriberSearch({ redis, keys, getMany });

  /**
   * A page of subscribers. Without `search`: in id order after `afterId`, optionally of one
   * status; `nextAfterId` is set when there may be more. With `search`: see subscriber-search.ts.
   */
  async function list(opts: {
    status?: SubscriberStatus;
    search?: string;
    afterId?: number;
    cursor?: string;
    limit: number;
  }): Promise<{ subscribers: Subscriber[]; nextAfterId?: number; nextCursor?: string }> {
    if (opts.status) checkStatus(opts.status);
    const limit = Math.max(1, Math.min(1000, Math.floor(opts.limit)));
    if (opts.search?.trim())
      return search(opts.search, { status: opts.status, cursor: opts.cursor, limit });
    const after = `(${opts.afterId ?? 0}`;
    const statuses = opts.status ? [opts.status] : SUBSCRIBER_STATUSES;
    const p = redis.pipeline();
    for (const s of statuses)
      p.zrangebyscore(keys.subscribersByStatus(s), after, '+inf', 'LIMIT', 0, limit);
    const res = (await p.exec()) ?? [];
    const ids = res
      .flatMap(([err, v]) => {
        if (err) throw err;
        return (v as string[]).map(Number);
      })
      .sort((a, b) => a - b)
      .slice(0, limit);
    const subscribers = (await getMany(ids)).filter((s): s is Subscriber => s !== undefined);
    return { subscribers, nextAfterId: ids.length === limit ? ids[ids.length - 1] : undefined };
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
    async addMany(inputs: readonly AddInput[]): Promise<AddManyResult> {
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
    },

    get,
    getMany,

    async getByEmail(email: string): Promise<Subscriber | undefined> {
      const id = await idByEmail(email);
      return id === undefined ? undefined : get(id);
    },

    /** Sets the status atomically with the per-status zsets; bounced/complained also suppress. */
    async setStatus(id: number, status: SubscriberStatus): Promise<void> {
      checkStatus(status);
      let sha = '';
      if (status === 'bounced' || status === 'complained') {
        const email = await redis.hget(keys.subscriber(id), 'e');
        if (email) sha = suppressionHash(email);
      }
      const prev = await setStatusScript(
        redis,
        [keys.subscriber(id), keys.suppressions, ...statusKeys, keys.subscriberGroups],
        [id, status, Date.now(), sha],
      );
      if (prev === null) throw new NotFoundError('SUBSCRIBER_NOT_FOUND', `no subscriber ${id}`);
    },

    /** Changes time zone, pause, name, consent, frequency or topics. Throws SUBSCRIBER_NOT_FOUND for a missing id. */
    async update(
      id: number,
      patch: {
        tz?: string | null;
        paused?: boolean;
        name?: string | null;
        consent?: Consent;
        /** null: back to the site's default. */
        frequency?: Frequency | null;
        /** Topic names (checked by the caller); null or empty: every post. */
        topics?: string[] | null;
      },
    ): Promise<void> {
      const set: string[] = [];
      const del: string[] = [];
      if (patch.frequency !== undefined) {
        if (patch.frequency) set.push('f', patch.frequency);
        else del.push('f');
      }
      if (patch.topics !== undefined) {
        if (patch.topics?.length) set.push('t', patch.topics.join(','));
        else del.push('t');
      }
      if (patch.tz !== undefined) {
        const tz = patch.tz?.trim() ?? '';
        if (tz && !isTimeZone(tz))
          throw new ValidationError('SUBSCRIBER_TZ_INVALID', `unknown time zone: ${tz}`);
        if (tz) set.push('z', tz);
        else del.push('z');
      }
      if (patch.paused !== undefined) {
        if (patch.paused) set.push('p', '1');
        else del.push('p');
      }
      if (patch.name !== undefined) {
        const name = clean(patch.name ?? '', 200);
        if (name) set.push('n', name);
        else del.push('n');
      }
      if (patch.consent) {
        const c = patch.consent;
        set.push('ca', String(c.at.getTime()));
        for (const [f, v] of [
          ['ci', clean(c.ip, 64)],
          ['cu', clean(c.userAgent, 512)],
          ['cs', clean(c.source, 512)],
        ] as const) {
          if (v) set.push(f, v);
          else del.push(f);
        }
      }
      const ok = await updateScript(
        redis,
        [keys.subscriber(id), keys.subscriberGroups],
        [id, Date.now(), set.length / 2, ...set, ...del],
      );
      if (ok !== 1) throw new NotFoundError('SUBSCRIBER_NOT_FOUND', `no subscriber ${id}`);
    },

    /** Deletes the subscriber (the address may be added again later). False if there was none. */
    remove(id: number): Promise<boolean> {
      return removeById(id, false);
    },

    /**
     * Erasure: deletes everything about the subscriber and keeps only sha256 of the address in
     * the suppressions, so no add or import brings the address back by mistake.
     */
    async erase(id: number): Promise<void> {
      await removeById(id, true);
    },

    async isSuppressed(email: string): Promise<boolean> {
      const addr = normaliseAddress(email);
      if (!addr.ok) return false;
      return (await redis.hexists(keys.suppressions, suppressionHash(addr.email))) === 1;
    },

    /**
     * Suppresses an address (bounce, complaint, provider webhook, admin): never sent to or added
     * again. An existing pending/confirmed subscriber becomes bounced, complained or (manual)
     * unsubscribed; `erased` deletes the subscriber as `erase` does.
     */
    async suppress(email: string, reason: SuppressionReason): Promise<void> {
      const addr = normaliseAddress(email);
      if (!addr.ok) throw new ValidationError(addr.code, addr.message);
      if (!(reason in SUPPRESS_STATUS))
        throw new ValidationError('SUPPRESSION_REASON_INVALID', `unknown reason: ${reason}`);
      const id = await suppressScript(
        redis,
        [keys.subscriberByEmail, keys.suppressions, ...statusKeys, keys.subscriberGroups],
        [
          subPrefix,
          addressKey(addr.email),
          suppressionHash(addr.email),
          reason,
          Date.now(),
          SUPPRESS_STATUS[reason],
        ],
      );
      if (reason === 'erased' && typeof id === 'number' && id > 0) await removeById(id, true);
    },

    /** Lifts a suppression (an admin's deliberate act); the subscriber's status is not changed. */
    async unsuppress(email: string): Promise<boolean> {
      const addr = normaliseAddress(email);
      if (!addr.ok) return false;
      return (await redis.hdel(keys.suppressions, suppressionHash(addr.email))) === 1;
    },

    /** The highest id given out so far: fan-out's upper bound, fixed when it starts. */
    async maxId(): Promise<number> {
      return Number((await redis.get(keys.subscriberSeq)) ?? 0);
    },

    /** Ids of `status` in (afterId, maxId], in id order, at most `limit`. */
    async pageIds(
      status: SubscriberStatus,
      afterId: number,
      limit: number,
      maxId?: number,
    ): Promise<number[]> {
      checkStatus(status);
      const ids = await redis.zrangebyscore(
        keys.subscribersByStatus(status),
        `(${afterId}`,
        maxId === undefined ? '+inf' : maxId,
        'LIMIT',
        0,
        limit,
      );
      return ids.map(Number);
    },

    /**
     * What the send path needs per recipient, in one pipelined round trip; undefined if gone.
     * Zone, frequency and topics are for the footer's words (describe-delivery.ts).
     * `cursor` (field `q`): the post seq up to which they have been covered (moved by the
     * ledger's claim, src/delivery/ledger.ts).
     */
    async sendInfo(ids: readonly number[]): Promise<(SendInfo | undefined)[]> {
      if (ids.length === 0) return [];
      const p = redis.pipeline();
      for (const id of ids) p.hmget(keys.subscriber(id), 'e', 's', 'p', 'z', 'f', 't', 'q', 'k');
      const res = (await p.exec()) ?? [];
      return ids.map((id, i) => {
        const [err, v] = res[i] ?? [];
        if (err) throw err;
        const [email, status, paused, tz, frequency, topics, q, k] = (v ?? []) as (string | null)[];
        if (!email || !status) return undefined;
        return {
          id,
          email,
          status: status as SubscriberStatus,
          paused: paused === '1',
          tz: tz || undefined,
          frequency: isFrequency(frequency) ? frequency : undefined,
          topics: topics ? topics.split(',') : [],
          cursor: q ? Number(q) : undefined,
          confirmedAtMs: k ? Number(k) : undefined,
        };
      });
    },

    list,

    /** Subscribers per status (ZCARD each, one round trip). */
    async counts(): Promise<Record<SubscriberStatus, number>> {
      const p = redis.pipeline();
      for (const k of statusKeys) p.zcard(k);
      const res = (await p.exec()) ?? [];
      const out = {} as Record<SubscriberStatus, number>;
      SUBSCRIBER_STATUSES.forEach((s, i) => (out[s] = Number(res[i]?.[1] ?? 0)));
      return out;
    },

    /** Every subscriber (of one status), page by page in id order: memory stays one page. */
    async *iterate(
      opts: { status?: SubscriberStatus; pageSize?: number } = {},
    ): AsyncGenerator<Subscriber[]> {
      let afterId = 0;
      for (;;) {
        const page = await list({ status: opts.status, afterId, limit: opts.pageSize ?? 500 });
        if (page.subscribers.length) yield page.subscribers;
        if (page.nextAfterId === undefined) return;
        afterId = page.nextAfterId;
      }
    },
  };
}

export type SubscriberStore = ReturnType<typeof createSubscriberStore>;
