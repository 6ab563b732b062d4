import type { Queue } from 'bullmq';
import type { Logger } from '../log.js';
import { jobIds, type SendJob } from '../queues.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import type { SubscriberGroups } from '../subscribers/subscriber-groups.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { DigestStore } from './digest-store.js';
import { editionId, type Edition } from './edition.js';
import type { ZonePlan } from './slots.js';
import type { ZoneProgressStore } from './zone-progress.js';

/** Subscribers read per fan-out page; each page becomes pageSize / batchSize send jobs. */
const FANOUT_PAGE = 2_000;

/** The digest store's name for an edition: its id (`weekly/2026-12-07`). */
export const digestKey = (e: Edition): string => editionId(e);

export interface FanOutDeps {
  redis: RedisClient;
  keys: Keys;
  digests: Pick<DigestStore, 'finishFanout'>;
  groups: Pick<SubscriberGroups, 'page'>;
  subscribers: Pick<SubscriberStore, 'maxId'>;
  zones: Pick<ZoneProgressStore, 'mark' | 'allSettled'>;
  sendQueue: Pick<Queue<SendJob>, 'addBulk'>;
  batchSize: number;
  log: Logger;
  now?: () => Date;
  /** Ids read per page (tests make it small). */
  pageSize?: number;
}

/** One slot to fan out: an edition's zones whose send instant is `at`. */
export interface SlotToSend {
  edition: Edition;
  at: Date;
  zones: readonly string[];
}

interface Group {
  name: string;
  zone: string;
}

/**
 * Fixes a slot's groups and id bound the first time it fans out (HSETNX: a rerun, or a second
 * worker, pages the same list up to the same bound). KEYS: slot. ARGV: groups JSON, bound.
 * Returns groups, bound, group index, cursor, done.
 */
const startScript = luaCommand(new URL('./lua/fan-out-start.lua', import.meta.url), 1);

/**
 * Moves the slot's cursor from (group ARGV[1], id ARGV[2]) to (ARGV[3], ARGV[4]) and counts
 * ARGV[5] recipients on the slot, the edition and the zone ARGV[6], only if the cursor is still
 * where this fan-out read it: two runs of one slot never count a page twice.
 * KEYS: slot, digest, zones.
 */
const advanceScript = luaCommand(new URL('./lua/fan-out-advance.lua', import.meta.url), 3);

/**
 * Fans one slot out: pages each of its zones' groups (store-scripts.ts) in id order up to the
 * bound fixed when the slot started (later subscribers wait for the next edition), and
 * enqueues send jobs of ids only, naming the edition (README guarantees 6 and 7). The cursor
 * (group, id) and the counts move together after each page and job ids are deterministic, so
 * a fan-out interrupted anywhere resumes with no gap and no duplicate; memory holds one page.
 * When no zone of the edition waits any more, the edition's fan-out is done.
 */
export async function fanOutSlot(
  deps: FanOutDeps,
  slot: SlotToSend,
  plan: ZonePlan,
): Promise<{ recipients: number; done: boolean }> {
  const id = editionId(slot.edition);
  const ms = slot.at.getTime();
  const slotKey = deps.keys.digestSlot(id, ms);
  const zonesOfF = plan.get(slot.edition.frequency);
  const wanted: Group[] = slot.zones.flatMap((zone) =>
    (zonesOfF?.get(zone) ?? []).map((name) => ({ name, zone })),
  );
  const [groupsJson, bound, gi0, cursor0, done] = (await startScript(
    deps.redis,
    [slotKey],
    [JSON.stringify(wanted), await deps.subscribers.maxId()],
  )) as (string | null)[];
  const groups = JSON.parse(groupsJson!) as Group[];
  if (done !== '1') {
    await deps.zones.mark(slot.edition, slot.zones, 'sending');
    await page(
      deps,
      slot,
      { groups, bound: Number(bound), gi: Number(gi0 ?? 0) },
      {
        cursor: Number(cursor0 ?? 0),
        slotKey,
      },
    );
    await deps.redis.hset(slotKey, 'done', '1');
    await deps.zones.mark(slot.edition, slot.zones, 'done');
  }
  const recipients = Number((await deps.redis.hget(slotKey, 'recipients')) ?? 0);
  const settled = await deps.zones.allSettled(slot.edition);
  if (settled) await deps.digests.finishFanout(digestKey(slot.edition), (deps.now ?? now)());
  deps.log.info(
    { digest: id, at: slot.at.toISOString(), zones: slot.zones, recipients, settled },
    'slot fanned out',
  );
  return { recipients, done: settled };
}

const now = () => new Date();

async function page(
  deps: FanOutDeps,
  slot: SlotToSend,
  fixed: { groups: Group[]; bound: number; gi: number },
  at: { cursor: number; slotKey: string },
) {
  const id = editionId(slot.edition);
  const ms = slot.at.getTime();
  const keys = [at.slotKey, deps.keys.digest(digestKey(slot.edition)), deps.keys.digestZones(id)];
  const limit = deps.pageSize ?? FANOUT_PAGE;
  let { gi } = fixed;
  let { cursor } = at;
  while (gi < fixed.groups.length) {
    const g = fixed.groups[gi]!;
    const ids = await deps.groups.page(g.name, cursor, limit, fixed.bound);
    const to = ids.length > 0 ? [gi, ids[ids.length - 1]!] : [gi + 1, 0];
    if (ids.length > 0) {
      const jobs = [];
      for (let i = 0; i < ids.length; i += deps.batchSize) {
        const batch = ids.slice(i, i + deps.batchSize);
        jobs.push({
          name: 'send',
          data: { edition: id, ids: batch, zone: g.zone },
          opts: { jobId: jobIds.send(id, ms, gi, batch[0]!) },
        });
      }
      await deps.sendQueue.addBulk(jobs);
    }
    const moved = await advanceScript(deps.redis, keys, [
      gi,
      cursor,
      to[0]!,
      to[1]!,
      ids.length,
      g.zone,
    ]);
    if (moved === 1) [gi, cursor] = to as [number, number];
    else {
      // Another run of this slot moved the cursor: carry on from where it is now (the jobs
      // just added have deterministic ids, and the ledger sends each subscriber once).
      const [g2, c2] = await deps.redis.hmget(at.slotKey, 'gi', 'cursor');
      [gi, cursor] = [Number(g2 ?? 0), Number(c2 ?? 0)];
    }
  }
}
