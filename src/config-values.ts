import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { FREQUENCIES, isFrequency, type Frequency } from './digests/frequency.js';
import { nextFiring } from './digests/occurrences.js';
import { HttpUrl } from './http-url.js';

/*
 * The value types of the environment schema (src/config.ts): each parses one variable's text
 * and names what is wrong with it, so the schema reads as a list of variables.
 */

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const timeZone = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris');

export const cron = z.string().refine((v) => {
  try {
    // Parses the 5 fields and finds a firing, so a cron that never fires ("0 0 31 2 *") is
    // refused here rather than met by the scheduler.
    nextFiring(new Date(Date.UTC(2000, 0, 1)), { cron: v, tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}, 'must be a 5-field cron expression that fires, such as "0 9 * * 1"');

export const httpUrl = HttpUrl.transform((v) => v.replace(/\/+$/, ''));

export const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/** An IP address (dotted IPv4 or IPv6) or a CIDR range; not ipaddr.js's looser forms ("99"). */
function isAddressOrRange(v: string): boolean {
  const [addr, bits, extra] = v.split('/');
  if (extra !== undefined || !addr) return false;
  const ok = ipaddr.IPv4.isValidFourPartDecimal(addr) || ipaddr.IPv6.isValid(addr);
  return ok && (bits === undefined || ipaddr.isValidCIDR(v));
}

/**
 * TRUST_PROXY: `false` (default), a hop count (`1`: one reverse proxy in front), or the
 * proxies' addresses and CIDR ranges. `true` would believe any X-Forwarded-For, so a client
 * could pick its own address (and slip every per-IP limit): it is refused with a clear error.
 */
export const trustProxy = z.string().transform((v, ctx): false | number | string[] => {
  const s = v.trim().toLowerCase();
  if (['false', '0', 'no'].includes(s)) return false;
  if (['true', 'yes'].includes(s)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'no longer takes true (it would believe any X-Forwarded-For): give the number of proxies in front (usually 1) or their addresses, e.g. 10.0.0.0/8',
    });
    return z.NEVER;
  }
  if (/^\d+$/.test(s)) {
    const hops = Number(s);
    if (hops <= 10) return hops;
  }
  const list = splitList(v);
  const bad = list.find((a) => !isAddressOrRange(a));
  if (bad !== undefined || list.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be false, a hop count (1-10) or proxy addresses/CIDRs; "${bad ?? v}" is none`,
    });
    return z.NEVER;
  }
  return list;
});

/** FEED_ALLOW_HOSTS: host names, addresses or CIDRs a feed may be fetched from though private. */
export const allowHosts = z.string().transform((v, ctx) => {
  const list = splitList(v).map((h) => h.toLowerCase().replace(/^\[|\]$/g, ''));
  const bad = list.find((h) => !isAddressOrRange(h) && !/^[a-z0-9.-]+$/.test(h));
  if (bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `"${bad}" is not a host name, address or CIDR` });
    return z.NEVER;
  }
  return list;
});

/** DIGEST_FREQUENCIES: some of FREQUENCIES, comma-separated; kept in FREQUENCIES order. */
export const frequencyList = z.string().transform((v, ctx): Frequency[] => {
  const list = splitList(v);
  const bad = list.find((f) => !isFrequency(f));
  if (bad !== undefined || list.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must list some of ${FREQUENCIES.join(', ')} (got "${bad ?? v}")`,
    });
    return z.NEVER;
  }
  return FREQUENCIES.filter((f) => list.includes(f));
});

/**
 * Zones found valid so far: building an Intl.DateTimeFormat costs ~0.15 ms, which an import or
 * seed of a million subscribers with zones would pay a million times. Only valid names are
 * kept, so the set is bounded by the IANA list whatever the input.
 */
const knownZones = new Set<string>();

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  if (knownZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return false;
  }
  if (tz.length === 0) return false;
  knownZones.add(tz);
  return true;
}

/** Whether `tag` is one BCP 47 language tag (SITE_LANG). */
export function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/** A comma-separated list, each item trimmed, empty ones dropped. */
export function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
