import ipaddr from 'ipaddr.js';
import { isIpLiteral, isPublicAddress } from '../feeds/address-guard.js';

/**
 * Where a host name points, judged from the name alone (no DNS, no connection): the start-up
 * checks of config.ts use it to tell a real provider from a local catcher such as compose's
 * Mailpit (README "Configuration").
 */
export type HostKind = 'loopback' | 'private' | 'public';

// Names that only resolve inside a site or a container network.
const PRIVATE_SUFFIXES = ['.local', '.lan', '.internal', '.home.arpa', '.localdomain', '.test'];

/** Classifies a host as URL.hostname gives it: an IP literal (v6 in brackets or not) or a name. */
export function classifyHost(hostname: string): HostKind {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (isIpLiteral(host)) {
    const range = ipaddr.process(host.replace(/%.*$/, '')).range();
    if (range === 'loopback') return 'loopback';
    return isPublicAddress(host) ? 'public' : 'private';
  }
  // A name without a dot is a container or LAN name (`mailpit`, `postfix`), never a provider.
  if (!host.includes('.')) return 'private';
  return PRIVATE_SUFFIXES.some((s) => host.endsWith(s)) ? 'private' : 'public';
}

/**
 * True when DMARC would find `fromDomain` aligned with the DKIM `d=` domain in relaxed mode,
 * approximated without the public suffix list: equal, or one a subdomain of the other.
 */
export function dkimAligned(dkimDomain: string, fromDomain: string): boolean {
  const d = dkimDomain.toLowerCase().replace(/\.$/, '');
  const f = fromDomain.toLowerCase().replace(/\.$/, '');
  return d === f || f.endsWith(`.${d}`) || d.endsWith(`.${f}`);
}
