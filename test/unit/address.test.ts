import { describe, expect, it } from 'vitest';
import { addressKey, normaliseAddress } from '../../src/subscribers/address.js';

function ok(input: string): string {
  const r = normaliseAddress(input);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} to be valid, got ${r.code}`);
  return r.email;
}

function code(input: unknown): string | undefined {
  const r = normaliseAddress(input);
  return r.ok ? undefined : r.code;
}

describe('normaliseAddress', () => {
  it('accepts ordinary addresses, trims, lower-cases the domain and keeps the local part as written', () => {
    expect(ok('reader@example.org')).toBe('reader@example.org');
    expect(ok('  Jane.Doe+digest@Example.ORG  ')).toBe('Jane.Doe+digest@example.org');
    expect(ok("o'brien!#$%&*/=?^_`{|}~-@mail.example.co.uk")).toBe(
      "o'brien!#$%&*/=?^_`{|}~-@mail.example.co.uk",
    );
  });

  it('converts an international domain to punycode', () => {
    expect(ok('Anna@Bücher.DE')).toBe('Anna@xn--bcher-kva.de');
    expect(ok('user@例え.テスト')).toBe('user@xn--r8jz45g.xn--zckzah');
  });

  it('allows 254 characters and 64 in the local part, not one more', () => {
    const local64 = 'a'.repeat(64);
    expect(ok(`${local64}@example.org`)).toBe(`${local64}@example.org`);
    expect(code(`${'a'.repeat(65)}@example.org`)).toBe('ADDRESS_LOCAL_TOO_LONG');

    // 64 + 1 + 189 = 254: labels of at most 63 characters
    const domain189 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.org`;
    expect(domain189.length).toBe(189);
    const max = `${local64}@${domain189}`;
    expect(max.length).toBe(254);
    expect(ok(max)).toBe(max);
    const over = `${local64}@e${domain189}`;
    expect(over.length).toBe(255);
    expect(code(over)).toBe('ADDRESS_TOO_LONG');
  });

  it('counts the length after punycode conversion', () => {
    const unicode = `${'a'.repeat(64)}@${'ü'.repeat(20)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(33)}.org`;
    expect(unicode.length).toBe(251); // fits as typed, 257 once the first label is punycode
    expect(code(unicode)).toBe('ADDRESS_TOO_LONG');
  });

  it('refuses CR, LF, NUL and other control characters anywhere, even at the end', () => {
    expect(code('a@example.org\r\nBcc: victim@example.org')).toBe('ADDRESS_CONTROL_CHARS');
    expect(code('a@example.org\n')).toBe('ADDRESS_CONTROL_CHARS');
    expect(code('a\r@example.org')).toBe('ADDRESS_CONTROL_CHARS');
    expect(code('a\u0000b@example.org')).toBe('ADDRESS_CONTROL_CHARS');
    expect(code('a@exam\u0007ple.org')).toBe('ADDRESS_CONTROL_CHARS');
    expect(code('a@example.org\t')).toBe('ADDRESS_CONTROL_CHARS');
  });

  it('needs exactly one @', () => {
    expect(code('a@b@example.org')).toBe('ADDRESS_INVALID');
    expect(code('example.org')).toBe('ADDRESS_INVALID');
    expect(code('@example.org')).toBe('ADDRESS_INVALID');
    expect(code('"a@b"@example.org')).toBe('ADDRESS_INVALID');
  });

  it('refuses bad local parts: spaces, quotes, dots in the wrong place, non-ASCII', () => {
    expect(code('jane doe@example.org')).toBe('ADDRESS_INVALID');
    expect(code('"jane"@example.org')).toBe('ADDRESS_INVALID');
    expect(code('.jane@example.org')).toBe('ADDRESS_INVALID');
    expect(code('jane.@example.org')).toBe('ADDRESS_INVALID');
    expect(code('ja..ne@example.org')).toBe('ADDRESS_INVALID');
    expect(code('jäne@example.org')).toBe('ADDRESS_INVALID');
    expect(code('<jane>@example.org')).toBe('ADDRESS_INVALID');
  });

  it('refuses bad domains', () => {
    for (const d of [
      'localhost',
      'example..org',
      '-example.org',
      'example-.org',
      'exa_mple.org',
      '[127.0.0.1]',
      '1.2.3.4',
      'example.org.',
      '',
      'ex ample.org',
    ]) {
      expect(code(`a@${d}`), d).toMatch(/^ADDRESS_(DOMAIN_)?INVALID$/);
    }
    expect(code(`a@${'x'.repeat(64)}.org`)).toBe('ADDRESS_DOMAIN_INVALID');
  });

  it('refuses empty and non-string input', () => {
    expect(code('')).toBe('ADDRESS_EMPTY');
    expect(code('   ')).toBe('ADDRESS_EMPTY');
    expect(code(undefined)).toBe('ADDRESS_EMPTY');
    expect(code(42)).toBe('ADDRESS_EMPTY');
  });

  it('gives one uniqueness key per address whatever the case', () => {
    expect(addressKey(ok('Jane@Example.org'))).toBe(addressKey(ok('jane@EXAMPLE.org')));
  });
});
