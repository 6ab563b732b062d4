import { describe, expect, it } from 'vitest';
import { hasControls, stripControls } from '../../src/control-chars.js';
import { escapeHtml } from '../../src/escape-html.js';
import { truncateText } from '../../src/feeds/html-text.js';
import { checkRecipientAddress, headerText } from '../../src/mail/headers.js';
import { cleanMultiline, cleanText } from '../../src/render/sanitise.js';
import { normaliseAddress } from '../../src/subscribers/address.js';
import { clean } from '../../src/subscribers/subscriber-record.js';

describe('escapeHtml (src/escape-html.ts)', () => {
  it('escapes the characters that end text or a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  it('leaves text without them as it is, entities already there escaped once more', () => {
    expect(escapeHtml('reader+tag@example.org')).toBe('reader+tag@example.org');
    expect(escapeHtml('Café 👩‍💻 &amp;')).toBe('Café 👩‍💻 &amp;amp;');
  });
});

const ZWJ_EMOJI = '\u{1F469}\u200D\u{1F4BB}';
/** Persian "mikhaham" with its zero-width non-joiner; Hebrew with a right-to-left mark. */
const PERSIAN = '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645';
const HEBREW_RLM = '\u05E9\u05DC\u05D5\u05DD\u200F!';

describe('stripControls (src/control-chars.ts)', () => {
  it('replaces each run of controls by one space, or removes them', () => {
    expect(stripControls('a\r\n\u0000b\u007fc\u0085d')).toBe('a b c d');
    expect(stripControls('a\r\n\u0000b', { replaceWith: '' })).toBe('ab');
  });

  it('takes line separators and bidi embeddings, overrides and isolates', () => {
    for (const c of ['\u2028', '\u2029', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E']) {
      expect(stripControls(`a${c}b`)).toBe('a b');
    }
    for (const c of ['\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(stripControls(`a${c}b`, { replaceWith: '' })).toBe('ab');
    }
  });

  it('keeps joiners, non-joiners and direction marks, and ordinary text', () => {
    const text = `Making ${ZWJ_EMOJI} tools: ${PERSIAN}, ${HEBREW_RLM} Café ✓`;
    expect(stripControls(text)).toBe(text);
    expect(hasControls(text)).toBe(false);
  });

  it('keeps the line breaks and tabs a caller names, and only those', () => {
    expect(stripControls('a\tb\nc\r\nd\u0000e', { keep: '\n', replaceWith: '' })).toBe('ab\nc\nde');
    expect(stripControls('a\tb\nc\r\nd\u0000e', { keep: '\t\n\r', replaceWith: '' })).toBe(
      'a\tb\nc\r\nde',
    );
  });

  it('hasControls sees every character of the set, a tab and a line break included', () => {
    for (const c of ['\t', '\n', '\r', '\u0000', '\u001f', '\u007f', '\u0080', '\u009f']) {
      expect(hasControls(`a${c}b`)).toBe(true);
    }
    expect(hasControls('a\u2028b')).toBe(true);
    expect(hasControls('a\u202Eb')).toBe(true);
    expect(hasControls('a b')).toBe(false);
  });
});

describe('what each user of the cleaner needs', () => {
  it('names and user agents (subscriber-record clean): one line, trimmed, bounded', () => {
    expect(clean(' Ann\r\nBcc: x@evil.example\u0000 ', 200)).toBe('Ann Bcc: x@evil.example');
    expect(clean('a'.repeat(10), 4)).toBe('aaaa');
    expect(clean(undefined, 10)).toBe('');
    expect(clean(`Ann ${ZWJ_EMOJI}`, 200)).toBe(`Ann ${ZWJ_EMOJI}`);
  });

  it('mail headers (headerText): no line break survives, spaces collapsed', () => {
    expect(headerText('Weekly\r\nBcc: x@evil.example')).toBe('Weekly Bcc: x@evil.example');
    expect(headerText(' a \u2028\u0085 b ')).toBe('a b');
    expect(headerText(`${PERSIAN} ${ZWJ_EMOJI}`)).toBe(`${PERSIAN} ${ZWJ_EMOJI}`);
  });

  it('feed text cut for storage (truncateText): controls removed, tabs and breaks kept', () => {
    expect(truncateText('a\u0000b\u0007c\td\ne')).toBe('abc\td\ne');
    expect(truncateText(`x ${ZWJ_EMOJI} \u202Ey`)).toBe(`x ${ZWJ_EMOJI} y`);
  });

  it('template values (cleanText): one plain line, ZWJ sequences whole', () => {
    expect(cleanText('Title\u2028with\u202Ea\tbreak\n', 100)).toBe('Title with a break');
    expect(cleanText(`${ZWJ_EMOJI} ${PERSIAN}`, 100)).toBe(`${ZWJ_EMOJI} ${PERSIAN}`);
  });

  it('the text part (cleanMultiline): line breaks kept, CRLF made LF, tabs and controls gone', () => {
    expect(cleanMultiline('one\r\ntwo\t\u0000\rthree\u2029')).toBe('one\ntwo\nthree');
    expect(cleanMultiline(`${ZWJ_EMOJI}\n${PERSIAN}`)).toBe(`${ZWJ_EMOJI}\n${PERSIAN}`);
  });

  it('addresses: any control refuses the address, at subscription and at the To header', () => {
    for (const c of ['\r', '\n', '\t', '\u0000', '\u0085', '\u2028', '\u202E']) {
      expect(normaliseAddress(`a${c}b@example.org`)).toMatchObject({
        ok: false,
        code: 'ADDRESS_CONTROL_CHARS',
      });
      expect(() => checkRecipientAddress(`ü${c}@example.org`)).toThrow(/control character/);
    }
    expect(checkRecipientAddress('ü@example.org')).toBe('utf8');
  });
});
