import ipaddr from 'ipaddr.js';

/**
 * The address a request came from, as limits count it: an IPv4 address, or the /64 of an IPv6
 * address (one host usually holds a whole /64, so limits per full IPv6 address are none at
 * all). An IPv4-mapped IPv6 address counts as its IPv4 address.
 */
export function clientId(ip: string): string {
  const addr = parseIp(ip);
  if (!addr) return 'invalid';
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4);
  return `${parts.map((p) => p.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The address in canonical form when `ip` is a valid IP address, else undefined. */
export function validIp(ip: string | undefined): string | undefined {
  return ip ? parseIp(ip)?.toString() : undefined;
}

function parseIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.process(ip.trim());
  } catch {
    return undefined;
  }
}
