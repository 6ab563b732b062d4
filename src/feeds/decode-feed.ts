import iconv from 'iconv-lite';

/**
 * Turns a feed's bytes into a string. Order: a byte-order mark, then the charset of the
 * Content-Type, then the XML declaration's encoding, then UTF-8, then windows-1252. A declared
 * UTF-8 that is not valid UTF-8 falls through to the next candidate: servers often send
 * `charset=utf-8` for every file, while the document itself says ISO-8859-1. Bytes that are
 * valid in no declared encoding are sniffed: mostly good UTF-8 stays UTF-8 (a stray bad byte
 * becomes U+FFFD), anything else is read as windows-1252, the encoding of undeclared legacy
 * text on the web.
 */
export function decodeFeedBytes(bytes: Uint8Array, contentType?: string): string {
  const bom = bomEncoding(bytes);
  if (bom) return new TextDecoder(bom).decode(bytes);
  const head = new TextDecoder('utf-8').decode(bytes.subarray(0, 512));
  for (const label of [charsetOf(contentType), xmlDeclEncoding(head), 'utf-8']) {
    const text = label ? decodeAs(bytes, label) : undefined;
    if (text !== undefined) return text;
  }
  const lossy = new TextDecoder('utf-8').decode(bytes);
  const bad = lossy.match(/\uFFFD/g)?.length ?? 0;
  const good = lossy.match(/[^\p{ASCII}\uFFFD]/gu)?.length ?? 0;
  return good > bad ? lossy : legacyDecode(bytes, 'windows-1252');
}

/**
 * The text of `bytes` in the encoding `label` names, or undefined when the label is unknown
 * or the bytes are not valid UTF-8 / UTF-16 for it. Labels resolve as the WHATWG Encoding
 * Standard says (TextDecoder knows that table): `iso-8859-1`, `latin1` and `us-ascii` all
 * mean windows-1252, which is what such feeds really contain.
 */
function decodeAs(bytes: Uint8Array, label: string): string | undefined {
  const name = encodingName(label);
  if (!name) return undefined;
  if (name !== 'utf-8' && !name.startsWith('utf-16')) return legacyDecode(bytes, name);
  try {
    return new TextDecoder(name, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function encodingName(label: string): string | undefined {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return undefined; // not an encoding label
  }
}

/**
 * Legacy encodings through iconv-lite: Node 20's TextDecoder maps windows-1252 bytes
 * 0x80-0x9F (smart quotes, dashes, the euro sign) to C1 control characters (nodejs/node#56542).
 * An encoding iconv-lite lacks falls back to TextDecoder (ICU).
 */
function legacyDecode(bytes: Uint8Array, name: string): string {
  if (iconv.encodingExists(name))
    return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
  return new TextDecoder(name).decode(bytes);
}

function bomEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  return undefined;
}

function charsetOf(contentType?: string): string | undefined {
  const m = /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '');
  return m?.[1]?.toLowerCase();
}

function xmlDeclEncoding(head: string): string | undefined {
  const m = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  return m?.[1]?.toLowerCase();
}
