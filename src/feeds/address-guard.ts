import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { FeedError } from './feed-error.js';

/**
 * Which addresses a feed may be fetched from. `allowPrivate` (FEED_ALLOW_PRIVATE) lets in
 * private, loopback and link-local addresses, but never a cloud metadata endpoint; those, and
 * anything else, are let in by naming them in `allowHosts` (FEED_ALLOW_HOSTS: host names,
 * addresses or CIDR ranges).
 */
export interface AddressPolicy {
  allowPrivate: boolean;
  allowHosts?: readonly string[];
}

/** Cloud metadata endpoints (AWS, GCP, Azure, …; AWS's IPv6 one): credentials live there. */
const METADATA = ['169.254.169.254', 'fd00:ec2::254'].map((a) => ipaddr.parse(a).toString());
/** IPv6 global unicast: every public IPv6 address is in it. */
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');
/** The deprecated IPv4-compatible form `::a.b.c.d`, which some stacks still route to IPv4. */
const V4_COMPATIBLE = ipaddr.parseCIDR('::/96');

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

function parse(address: string): Addr | undefined {
  try {
    return ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return undefined;
  }
}

/** The IPv4 address an IPv6 one stands for (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`). */
function unwrap(addr: Addr): Addr {
  if (addr.kind() === 'ipv4') return addr;
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  if (v6.match(V4_COMPATIBLE) && v6.range() !== 'unspecified' && v6.range() !== 'loopback') {
    const b = v6.toByteArray();
    return new ipaddr.IPv4(b.slice(12));
  }
  return addr;
}

/**
 * True for an address on the public internet. Everything ipaddr.js does not call plain
 * `unicast` is refused: private, loopback, link-local, unspecified, CGNAT, unique-local v6,
 * multicast, reserved, and the v6 forms that embed a v4 address (mapped, IPv4-compatible,
 * NAT64, 6to4, Teredo); an IPv6 address must also be global unicast (2000::/3).
 */
export function isPublicAddress(address: string): boolean {
  const parsed = parse(address);
  if (!parsed) return false;
  const addr = unwrap(parsed);
  if (addr.range() !== 'unicast') return false;
  if (addr.kind() === 'ipv6') return (addr as ipaddr.IPv6).match(GLOBAL_UNICAST);
  // An IPv4 address written as IPv6-compatible is refused outright: nothing public uses it.
  return parsed.kind() === 'ipv4' || (parsed as ipaddr.IPv6).isIPv4MappedAddress();
}

/** True for a cloud metadata endpoint, in any of its spellings. */
export function isMetadataAddress(address: string): boolean {
  const parsed = parse(address);
  return !!parsed && METADATA.includes(unwrap(parsed).toString());
}

/** True when `host` or `address` is named in the policy's allowHosts. */
function named(host: string, address: string, allowHosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  const parsed = parse(address);
  return allowHosts.some((entry) => {
    if (entry === h) return true;
    if (!parsed) return false;
    try {
      const [range, bits] = entry.includes('/')
        ? ipaddr.parseCIDR(entry)
        : [ipaddr.parse(entry), entry.includes(':') ? 128 : 32];
      const candidates = [parsed, unwrap(parsed)];
      return candidates.some((a) => a.kind() === range.kind() && a.match(range, bits));
    } catch {
      return false;
    }
  });
}

/** True when a feed may connect to `address` (which `host` names or resolved to). */
export function addressAllowed(host: string, address: string, policy: AddressPolicy): boolean {
  if (named(host, address, policy.allowHosts ?? [])) return true;
  if (isMetadataAddress(address)) return false;
  return policy.allowPrivate ? parse(address) !== undefined : isPublicAddress(address);
}

/** True when `hostname` (as URL.hostname gives it) is a literal IP address. */
export function isIpLiteral(hostname: string): boolean {
  return ipaddr.isValid(hostname.replace(/^\[|\]$/g, ''));
}

const toPolicy = (p: boolean | AddressPolicy): AddressPolicy =>
  typeof p === 'boolean' ? { allowPrivate: p } : p;

/** Throws FEED_PRIVATE_ADDRESS for a URL whose host is a literal IP the policy refuses. */
export function checkLiteralHost(url: URL, policy: boolean | AddressPolicy): void {
  const p = toPolicy(policy);
  const host = url.hostname;
  if (host === 'localhost' || host.endsWith('.localhost')) {
    if (!addressAllowed(host, '127.0.0.1', p)) throw privateError(host, '127.0.0.1');
    return;
  }
  if (isIpLiteral(host) && !addressAllowed(host, host, p)) throw privateError(host, host);
}

/**
 * A `lookup` for node:http(s) that resolves as usual and then drops every address the policy
 * refuses. It runs when the socket connects, so the address checked is the address used: a
 * DNS answer that changes between a check and the connection (DNS rebinding) cannot slip
 * through. Node skips `lookup` for literal IPs; `checkLiteralHost` covers those.
 */
export function guardedLookup(policy: boolean | AddressPolicy): LookupFunction {
  const p = toPolicy(policy);
  return (hostname, options, callback) => {
    const all: LookupAllOptions = { ...options, all: true };
    dnsLookup(hostname, all, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = addresses.filter((a) => addressAllowed(hostname, a.address, p));
      if (usable.length === 0) {
        return callback(privateError(hostname, addresses[0]?.address ?? '?'), '', 0);
      }
      if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      } else {
        callback(null, usable[0]!.address, usable[0]!.family);
      }
    });
  };
}

function privateError(host: string, address: string): FeedError {
  const what = host === address ? host : `${host} resolves to ${address}, which`;
  const hint = isMetadataAddress(address)
    ? 'is a cloud metadata address (name it in FEED_ALLOW_HOSTS to allow)'
    : 'is a private, loopback or link-local address (set FEED_ALLOW_PRIVATE=true or name it in FEED_ALLOW_HOSTS to allow)';
  return new FeedError('FEED_PRIVATE_ADDRESS', `${what} ${hint}`);
}
