import { describe, expect, it } from 'vitest';
import { simpleParser, type ParsedMail } from 'mailparser';
import { prepareDigestMessage, type DigestRecipient } from '../../src/mail/digest-message.js';
import { listIdFor } from '../../src/mail/headers.js';
import { qpEncodeLine, qpEncodeValue } from '../../src/mail/quoted-printable.js';
import { fillPlaceholders, PLACEHOLDERS } from '../../src/render/placeholders.js';

const P = PLACEHOLDERS;
const longWord = 'ß'.repeat(700); // 1,400 UTF-8 bytes without a space
const html =
  `<!doctype html><html><body><h1>Café du Monde — 日本語 🎉</h1>\n` +
  `<p style="color:#333">${'Une longue ligne sans retour, avec des accents é à ü. '.repeat(40)}</p>\n` +
  `<p>${longWord}</p>\n<p>a=b and =_ and trailing space \n` +
  `<p>Sent to ${P.email}. <a href="${P.unsubscribeUrl}">Unsubscribe</a> · <a href="${P.preferencesUrl}">Preferences</a></p>` +
  `<p>You get it ${P.delivery}. <a href="${P.frequencyUrl}&amp;change=less">Less often</a></p>` +
  `${P.email}${P.email}</body></html>`;
const text =
  `Café du Monde — 日本語 🎉\n\n${'Une longue ligne sans retour, é à ü. '.repeat(40)}\n${longWord}\n` +
  `trailing space \ntab\t\nSent to ${P.email}\nUnsubscribe: ${P.unsubscribeUrl}\nPreferences: ${P.preferencesUrl}\n` +
  `You get it ${P.delivery}.\nLess often: ${P.frequencyUrl}&change=less`;

const base = {
  subject:
    'Le digest de la semaine : café, 日本語 et 🎉 — une ligne assez longue pour être repliée en plusieurs morceaux',
  html,
  text,
  from: 'Café Weekly <digest@news.example.com>',
  fromAddress: 'digest@news.example.com',
  listId: listIdFor('Café Weekly', 'digest@news.example.com'),
};

const recipient: DigestRecipient = {
  email: "o'brien+tag=x@example.org",
  unsubscribeUrl: `https://news.example.com/unsubscribe?token=${'A1b2-_'.repeat(20)}&x=1`,
  preferencesUrl: 'https://news.example.com/preferences?token=abc',
  // Topic names may be any letters: the words are encoded like the rest of the body.
  delivery: `weekly, Mondays at 09:00 Asia/Tokyo; topics: Café, 日本語 <b>, ${'Go '.repeat(40)}`,
  frequencyUrl: 'https://news.example.com/frequency?token=xyz',
};
const ESCAPED_UNSUBSCRIBE_URL = `https://news.example.com/unsubscribe?token=${'A1b2-_'.repeat(20)}&amp;x=1`;

const lf = (s: string) => s.replace(/\r\n/g, '\n');

function header(mail: ParsedMail, name: string): string {
  return (
    mail.headerLines
      .find((h) => h.key === name)
      ?.line.replace(/^[^:]+:\s*/, '')
      .replace(/\r\n\s/g, ' ') ?? ''
  );
}

function lines(buf: Buffer): string[] {
  return buf.toString('latin1').split('\r\n');
}

describe('prepareDigestMessage', () => {
  const message = prepareDigestMessage({
    ...base,
    date: new Date('2025-03-03T09:00:00Z'),
  });
  const token = 'AQIAAAAAAAEAAAAAl-x_Tq3sbUgHsBPqtmH0FR-Y';

  it('builds a message whose headers mailparser reads back', async () => {
    const mail = await simpleParser(
      message.build({
        ...recipient,
        unsubscribeMailto: `unsubscribe+${token}@news.example.com`,
        bounceToken: token,
      }),
    );
    expect(mail.from?.value).toEqual([{ address: 'digest@news.example.com', name: 'Café Weekly' }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : []).toEqual([
      { address: recipient.email, name: '' },
    ]);
    expect(mail.subject).toBe(base.subject);
    expect(mail.date?.toISOString()).toBe('2025-03-03T09:00:00.000Z');
    expect(mail.messageId).toMatch(/^<[A-Za-z0-9_-]{20}\.[A-Za-z0-9_-]{40}@news\.example\.com>$/);
    expect(header(mail, 'to')).toBe(`<${recipient.email}>`);
    expect(header(mail, 'mime-version')).toBe('1.0');
    expect(header(mail, 'precedence')).toBe('bulk');
    expect(header(mail, 'auto-submitted')).toBe('auto-generated');
    expect(header(mail, 'list-id')).toBe('<cafe-weekly.news.example.com>');
    expect(header(mail, 'list-unsubscribe')).toBe(
      `<${recipient.unsubscribeUrl}>, <mailto:unsubscribe+${token}@news.example.com?subject=unsubscribe>`,
    );
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(header(mail, 'content-type')).toMatch(/^multipart\/alternative; boundary="=_/);
  });

  it('decodes both parts to the placeholder-filled originals', async () => {
    const mail = await simpleParser(message.build(recipient));
    expect(lf(mail.text ?? '')).toBe(fillPlaceholders(text, recipient));
    // The values as the HTML part must carry them: escaped (src/escape-html.ts).
    const htmlValues = {
      ...recipient,
      email: 'o&#39;brien+tag=x@example.org',
      unsubscribeUrl: ESCAPED_UNSUBSCRIBE_URL,
      delivery: `weekly, Mondays at 09:00 Asia/Tokyo; topics: Café, 日本語 &lt;b&gt;, ${'Go '.repeat(40)}`,
    };
    expect(lf(String(mail.html))).toBe(fillPlaceholders(html, htmlValues));
  });

  it('writes 7-bit CRLF lines of at most 998 octets, QP body lines of at most 76', () => {
    const buf = message.build(recipient);
    expect(buf.every((b) => b < 0x80)).toBe(true);
    expect(buf.toString('latin1').replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const all = lines(buf);
    expect(Math.max(...all.map((l) => l.length))).toBeLessThanOrEqual(998);
    const bodyLines = all.slice(all.indexOf(''));
    expect(Math.max(...bodyLines.map((l) => l.length))).toBeLessThanOrEqual(76);
    expect(buf.toString('latin1').endsWith('--\r\n')).toBe(true);
  });

  it('gives every copy its own Message-ID', async () => {
    const [a, b] = await Promise.all([
      simpleParser(message.build(recipient)),
      simpleParser(message.build(recipient)),
    ]);
    expect(a.messageId).toBeTruthy();
    expect(a.messageId).not.toBe(b.messageId);
  });

  it('omits the mailto when none is configured and dates each copy now', async () => {
    const plain = prepareDigestMessage(base);
    const before = Math.floor(Date.now() / 1000) * 1000;
    const mail = await simpleParser(plain.build(recipient));
    expect(header(mail, 'list-unsubscribe')).toBe(`<${recipient.unsubscribeUrl}>`);
    expect(mail.messageId).toMatch(/^<[A-Za-z0-9_-]{20}@news\.example\.com>$/);
    expect(mail.date!.getTime()).toBeGreaterThanOrEqual(before);
    expect(mail.date!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['CRLF in the address', { email: 'a@example.org\r\nBcc: victim@example.org' }],
    ['LF in the address', { email: 'a@example.org\nX: y' }],
    ['NUL in the address', { email: 'a\u0000@example.org' }],
    ['two addresses', { email: 'a@example.org, b@example.org' }],
    ['angle brackets', { email: 'Eve <a@example.org>' }],
    [
      'CRLF in the unsubscribe URL',
      { unsubscribeUrl: 'https://x.example/u\r\nBcc: victim@example.org' },
    ],
    ['> in the unsubscribe URL', { unsubscribeUrl: 'https://x.example/u>, <https://evil.example' }],
    ['a space in the preferences URL', { preferencesUrl: 'https://x.example/p q' }],
    ['non-ASCII in a URL', { preferencesUrl: 'https://x.example/é' }],
    ['an empty URL', { unsubscribeUrl: '' }],
  ])('refuses %s', (_name, patch) => {
    expect(() => message.build({ ...recipient, ...patch })).toThrow(
      expect.objectContaining({ code: 'MAIL_VALUE_UNSAFE' }),
    );
  });

  it('cannot be given a header through the subject or the sender name', async () => {
    const m = prepareDigestMessage({
      ...base,
      subject: 'Hi\r\nBcc: victim@example.org',
      from: 'Eve\r\nBcc: x@y.z <digest@news.example.com>',
    });
    const mail = await simpleParser(m.build(recipient));
    expect(mail.headerLines.filter((h) => h.key === 'bcc')).toEqual([]);
    expect(mail.subject).toBe('Hi Bcc: victim@example.org');
  });

  it('writes a non-ASCII (SMTPUTF8) address as UTF-8 and still encodes it in the bodies', async () => {
    const r = { ...recipient, email: 'josé.müller@example.org' };
    const buf = message.build(r);
    const mail = await simpleParser(buf);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : '').toBe(r.email);
    expect(lf(mail.text ?? '')).toBe(fillPlaceholders(text, r));
    expect(lf(String(mail.html))).toContain(`Sent to ${r.email}.`);
    // only the To header carries 8-bit bytes
    const eight = lines(buf).filter((l) => /[^\x00-\x7f]/.test(l)); // eslint-disable-line no-control-regex
    expect(eight).toEqual([`To: <${Buffer.from(r.email).toString('latin1')}>`]);
  });

  it('offers one-click unsubscribe only with an https URL (RFC 8058 §3)', async () => {
    const http = { ...recipient, unsubscribeUrl: 'http://localhost:3000/unsubscribe?token=abc' };
    const mail = await simpleParser(message.build(http));
    expect(header(mail, 'list-unsubscribe')).toBe(`<${http.unsubscribeUrl}>`);
    expect(mail.headerLines.some((h) => h.key === 'list-unsubscribe-post')).toBe(false);
    expect(() => message.build({ ...recipient, bounceToken: 'a@b' })).toThrow(
      expect.objectContaining({ code: 'MAIL_VALUE_UNSAFE' }),
    );
  });

  it('handles a body that starts and ends with a placeholder, and adjacent ones', async () => {
    const m = prepareDigestMessage({
      ...base,
      html: `${P.unsubscribeUrl}${P.preferencesUrl}`,
      text: `${P.email}\n${P.email}`,
    });
    const mail = await simpleParser(m.build(recipient));
    expect(lf(mail.text ?? '')).toBe(`${recipient.email}\n${recipient.email}`);
    expect(String(mail.html)).toBe(ESCAPED_UNSUBSCRIBE_URL + recipient.preferencesUrl);
  });

  it('rejects a List-Id that is not a dot-atom', () => {
    expect(() => prepareDigestMessage({ ...base, listId: 'a b>\r\nX: y' })).toThrow(
      expect.objectContaining({ code: 'MAIL_LIST_ID_INVALID' }),
    );
  });
});

describe('quoted-printable', () => {
  it('escapes "=", non-ASCII and trailing whitespace, and wraps at 76', () => {
    expect(qpEncodeLine('a=b é ')).toBe('a=3Db =C3=A9=20');
    const wrapped = qpEncodeLine('é'.repeat(100)).split('=\r\n');
    expect(wrapped.every((l) => l.length <= 75 && /^(=[0-9A-F]{2})+$/.test(l))).toBe(true);
  });

  it('leaves safe values alone and wraps long ones without splitting an escape', () => {
    const url = 'https://x.example/u?t=abc';
    expect(qpEncodeValue('https://x.example/u')).toBe('https://x.example/u');
    expect(qpEncodeValue(url)).toBe('https://x.example/u?t=3Dabc');
    const long = `https://x.example/${'='.repeat(60)}`;
    const encoded = qpEncodeValue(long);
    expect(encoded.split('=\r\n').every((l) => l.length <= 75 && !/=.?$/.test(l))).toBe(true);
    expect(encoded.replace(/=\r\n/g, '').replace(/=3D/g, '=')).toBe(long);
  });
});
