import { isTimeZone } from '../config.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Keys, RedisClient } from '../redis.js';
import type { Frequency } from '../digests/frequency.js';
import { setStatusScript, updateScript } from './store-scripts.js';
import type { SubscriberStatus } from './subscriber.js';
import {
  checkStatus,
  clean,
  statusKeysOf,
  suppressionHash,
  type Consent,
} from './subscriber-record.js';

/** What `update` may change; null (or an empty list) clears the field. */
export interface SubscriberPatch {
  tz?: string | null;
  paused?: boolean;
  name?: string | null;
  consent?: Consent;
  /** null: back to the site's default. */
  frequency?: Frequency | null;
  /** Topic names (checked by the caller); null or empty: every post. */
  topics?: string[] | null;
}

/** The subscriber store's status and field changes (src/subscribers/subscriber-store.ts). */
export function createSubscriberWrites(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  const statusKeys = statusKeysOf(keys);

  return {
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
    async update(id: number, patch: SubscriberPatch): Promise<void> {
      const { set, del } = patchFields(patch);
      const ok = await updateScript(
        redis,
        [keys.subscriber(id), keys.subscriberGroups],
        [id, Date.now(), set.length / 2, ...set, ...del],
      );
      if (ok !== 1) throw new NotFoundError('SUBSCRIBER_NOT_FOUND', `no subscriber ${id}`);
    },
  };
}

/** The hash fields a patch sets (field/value pairs) and deletes. */
function patchFields(patch: SubscriberPatch): { set: string[]; del: string[] } {
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
  return { set, del };
}
