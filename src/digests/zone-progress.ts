import type { Keys, RedisClient } from '../redis.js';
import { editionId, type Edition } from './edition.js';

/**
 * An edition's zones (`keys.digestZones(edition)`), what `runs --json` and the dashboard show:
 * per zone its planned send instant and how many subscribers it had then, its fan-out state
 * (`pending` until its slot fans out, `sending`, `done`, or `skipped` with a reason) and its
 * progress (recipients fanned out; sent, failed, skipped, rolled). Fields are `<zone>:<what>`.
 */

export type ZoneState = 'pending' | 'sending' | 'done' | 'skipped';

export interface ZoneProgress {
  zone: string;
  /** ISO instant of the zone's send. */
  at: string;
  /** Confirmed subscribers of the zone when the edition was planned (or its slot fanned out). */
  subscribers: number;
  state: ZoneState;
  reason?: string;
  recipients: number;
  sent: number;
  failed: number;
  skipped: number;
  rolled: number;
}

/** The outcome counts a send batch adds to its zone. */
export interface ZoneCounts {
  sent?: number;
  failed?: number;
  skipped?: number;
  rolled?: number;
}

const COUNTS = ['recipients', 'sent', 'failed', 'skipped', 'rolled'] as const;

export function createZoneProgress(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  const key = (e: Edition) => keys.digestZones(editionId(e));

  return {
    /**
     * Records each zone's planned instant and subscriber count, once (HSETNX: the first plan,
     * made when the edition is built, stands; a zone first seen by a later slot is added).
     */
    async plan(e: Edition, zones: { zone: string; at: Date; subscribers: number }[]) {
      if (zones.length === 0) return;
      const p = redis.pipeline();
      for (const z of zones) {
        p.hsetnx(key(e), `${z.zone}:at`, String(z.at.getTime()));
        p.hsetnx(key(e), `${z.zone}:subscribers`, String(z.subscribers));
        p.hsetnx(key(e), `${z.zone}:state`, 'pending');
      }
      await p.exec();
    },

    /** Moves zones to `state` (a done or skipped zone never goes back to sending). */
    async mark(e: Edition, zones: readonly string[], state: ZoneState, reason?: string) {
      if (zones.length === 0) return;
      const cur = await redis.hmget(key(e), ...zones.map((z) => `${z}:state`));
      const p = redis.pipeline();
      zones.forEach((z, i) => {
        if (state === 'sending' && (cur[i] === 'done' || cur[i] === 'skipped')) return;
        p.hset(key(e), `${z}:state`, state);
        if (reason) p.hset(key(e), `${z}:reason`, reason.slice(0, 200));
      });
      await p.exec();
    },

    /** Adds a send batch's outcome to its zone. */
    async count(e: Edition, zone: string, c: ZoneCounts) {
      const p = redis.pipeline();
      for (const f of ['sent', 'failed', 'skipped', 'rolled'] as const) {
        const n = c[f] ?? 0;
        if (n > 0) p.hincrby(key(e), `${zone}:${f}`, n);
      }
      await p.exec();
    },

    /** Every zone of the edition, by send instant (one HGETALL: a few fields per zone in use). */
    async read(e: Edition): Promise<ZoneProgress[]> {
      return readZones(await redis.hgetall(key(e)));
    },

    /** True when no zone still waits for its slot (pending or sending). */
    async allSettled(e: Edition): Promise<boolean> {
      return (await this.read(e)).every((z) => z.state === 'done' || z.state === 'skipped');
    },
  };
}

export type ZoneProgressStore = ReturnType<typeof createZoneProgress>;

function readZones(h: Record<string, string>): ZoneProgress[] {
  const zones = new Map<string, Record<string, string>>();
  for (const [field, v] of Object.entries(h)) {
    const at = field.lastIndexOf(':');
    const zone = field.slice(0, at);
    const f = zones.get(zone) ?? {};
    f[field.slice(at + 1)] = v;
    zones.set(zone, f);
  }
  const out: ZoneProgress[] = [];
  for (const [zone, f] of zones) {
    if (f.at === undefined) continue;
    const counts = Object.fromEntries(COUNTS.map((c) => [c, Number(f[c] ?? 0)])) as Record<
      (typeof COUNTS)[number],
      number
    >;
    out.push({
      zone,
      at: new Date(Number(f.at)).toISOString(),
      subscribers: Number(f.subscribers ?? 0),
      state: (f.state ?? 'pending') as ZoneState,
      ...(f.reason ? { reason: f.reason } : {}),
      ...counts,
    });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at) || a.zone.localeCompare(b.zone));
}
