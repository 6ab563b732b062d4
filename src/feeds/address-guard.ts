import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { FeedError } from './feed-error.js';

/**
 * True for an address on the public internet. Everything ipaddr.js does not call plain
 * `unicast` is refused: private, loopback, link-local, unspecified, CGNAT, unique-local v6,
 * multicast, reserved, and the v6 forms that embed a v4 address (mapped, NAT64, 6to4, Teredo)
 * once unwrapped by `ipaddr.process`.
 */
export function isPublicAddress(address: string): boolean {
  try {
    const addr = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    return addr.range() === 'unicast';
  } catch {
    return false;
  }
}

/** True when `hostname` (as URL.hostname gives it) is a literal IP address. */
export function isIpLiteral(hostname: string): boolean {
  return ipaddr.isValid(hostname.replace(/^\[|\]$/g, ''));
}

/** Throws FEED_PRIVATE_ADDRESS for a URL whose host is a literal non-public IP. */
export function checkLiteralHost(url: URL, allowPrivate: boolean): void {
  if (allowPrivate) return;
  const host = url.hostname;
  if (host === 'localhost' || host.endsWith('.localhost')) {
    throw privateError(host, '127.0.0.1');
  }
  if (isIpLiteral(host) && !isPublicAddress(host)) throw privateError(host, host);
}

/**
 * A `lookup` for node:http(s) that resolves as usual and then drops every non-public address.
 * It runs when the socket connects, so the address checked is the address used: a DNS answer
 * that changes between a check and the connection (DNS rebinding) cannot slip through.
 * Node skips `lookup` for literal IPs; `checkLiteralHost` covers those.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const all: LookupAllOptions = { ...options, all: true };
    dnsLookup(hostname, all, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = allowPrivate ? addresses : addresses.filter((a) => isPublicAddress(a.address));
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
  return new FeedError(
    'FEED_PRIVATE_ADDRESS',
    `${what} is a private, loopback or link-local address (set FEED_ALLOW_PRIVATE=true to allow)`,
  );
}
