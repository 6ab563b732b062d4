import { describe, expect, it } from 'vitest';
import {
  addressAllowed,
  checkLiteralHost,
  isMetadataAddress,
  isPublicAddress,
} from '../../src/feeds/address-guard.js';
import { clientId, validIp } from '../../src/http/client-address.js';

/** The SSRF guard as a function over address literals: nothing here connects anywhere. */
describe('address guard', () => {
  it('refuses IPv4 wrapped in IPv6 (compatible and mapped) as non-public', () => {
    for (const a of [
      '::127.0.0.1',
      '[::127.0.0.1]',
      '::7f00:1',
      '::ffff:127.0.0.1',
      '[::ffff:7f00:1]',
      '::10.0.0.1',
      '::808:808', // IPv4-compatible ::8.8.8.8 as URL gives it: deprecated, nothing public uses it
      '::ffff:169.254.169.254',
      '64:ff9b::7f00:1', // NAT64
      '2002:7f00:1::1', // 6to4
      'fc00::1',
      '100::1', // discard-only
    ])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['8.8.8.8', '::ffff:8.8.8.8', '2606:4700:4700::1111', '[2a00:1450::1]'])
      expect(isPublicAddress(a), a).toBe(true);
  });

  it('keeps cloud metadata refused with FEED_ALLOW_PRIVATE, unless named in FEED_ALLOW_HOSTS', () => {
    const priv = { allowPrivate: true };
    for (const a of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '::a9fe:a9fe']) {
      expect(isMetadataAddress(a), a).toBe(true);
      expect(addressAllowed(a, a, priv), a).toBe(false);
    }
    expect(addressAllowed('10.0.0.5', '10.0.0.5', priv)).toBe(true);
    expect(addressAllowed('169.254.1.1', '169.254.1.1', priv)).toBe(true);
    const named = { allowPrivate: false, allowHosts: ['169.254.169.254'] };
    expect(addressAllowed('169.254.169.254', '169.254.169.254', named)).toBe(true);
    expect(addressAllowed('10.0.0.5', '10.0.0.5', named)).toBe(false);
    // A host name, or a CIDR, may be named too.
    const internal = { allowPrivate: false, allowHosts: ['feeds.internal', '10.8.0.0/16'] };
    expect(addressAllowed('feeds.internal', '10.1.2.3', internal)).toBe(true);
    expect(addressAllowed('other.internal', '10.8.4.4', internal)).toBe(true);
    expect(addressAllowed('other.internal', '10.9.4.4', internal)).toBe(false);
    expect(addressAllowed('x', '::ffff:10.8.0.1', internal)).toBe(true);
  });

  it('checks literal hosts of URLs', () => {
    for (const url of [
      'http://[::127.0.0.1]/feed',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost/',
    ])
      expect(() => checkLiteralHost(new URL(url), false), url).toThrow(/private/);
    expect(() =>
      checkLiteralHost(new URL('http://169.254.169.254/latest/meta-data/'), true),
    ).toThrow(/metadata/);
    expect(() => checkLiteralHost(new URL('http://[fd00:ec2::254]/'), true)).toThrow(/metadata/);
    expect(() => checkLiteralHost(new URL('http://10.0.0.1/'), true)).not.toThrow();
    expect(() => checkLiteralHost(new URL('http://93.184.216.34/'), false)).not.toThrow();
  });
});

describe('client addresses', () => {
  it('counts IPv6 per /64 and keeps only valid IPs', () => {
    expect(clientId('2001:db8:1:2::1')).toBe(clientId('2001:db8:1:2:ffff::9'));
    expect(clientId('2001:db8:1:2::1')).not.toBe(clientId('2001:db8:1:3::1'));
    expect(clientId('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientId('not an ip')).toBe('invalid');
    expect(validIp('203.0.113.9')).toBe('203.0.113.9');
    expect(validIp('<script>')).toBeUndefined();
    expect(validIp('x'.repeat(64))).toBeUndefined();
  });
});
