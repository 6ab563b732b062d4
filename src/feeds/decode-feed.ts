import { FeedError } from './feed-error.js';

/** At most this many entity declarations in a DTD; real feeds declare none. */
export const MAX_DTD_ENTITIES = 5;

/**
 * Turns a feed's bytes into a string. Order: a byte-order mark, then the charset of the
 * Content-Type, then the XML declaration's encoding, then UTF-8. A declared UTF-8 that is not
 * valid UTF-8 falls through to the next candidate: servers often send `charset=utf-8` for
 * every file, while the document itself says ISO-8859-1. (TextDecoder maps ISO-8859-1 to
 * windows-1252, as browsers do.)
 */
export function decodeFeedBytes(bytes: Uint8Array, contentType?: string): string {
  const bom = bomEncoding(bytes);
  if (bom) return new TextDecoder(bom).decode(bytes);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 512));
  const candidates = [charsetOf(contentType), xmlDeclEncoding(head), 'utf-8'];
  for (const label of candidates) {
    if (!label) continue;
    try {
      return new TextDecoder(label, { fatal: true }).decode(bytes);
    } catch {
      // Unknown label or invalid bytes for it: try the next candidate.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * Refuses XML whose DOCTYPE declares more than a handful of entities, parameter or external
 * entities, or entities that refer to other entities (the "billion laughs" shape). The parser
 * underneath (feedsmith on fast-xml-parser with processEntities off) does not expand DTD
 * entities at all; this check makes the limit explicit and fails fast instead of leaving
 * `&lol9;` text in a post.
 */
export function checkDtd(xml: string): void {
  const start = xml.search(/<!DOCTYPE/i);
  if (start === -1) return;
  const root = xml.slice(0, start).search(/<[A-Za-z]/);
  if (root !== -1) return; // a DOCTYPE after the root element is not a prolog DTD
  const end = findDoctypeEnd(xml, start);
  const dtd = xml.slice(start, end);
  const entities = dtd.match(/<!ENTITY\b[\s\S]*?>/gi) ?? [];
  if (entities.length > MAX_DTD_ENTITIES) {
    throw entityError(`declares ${entities.length} entities (limit ${MAX_DTD_ENTITIES})`);
  }
  for (const decl of entities) {
    if (/<!ENTITY\s+%/i.test(decl)) throw entityError('declares a parameter entity');
    if (/\b(?:SYSTEM|PUBLIC)\b/.test(decl.replace(/(["'])[\s\S]*?\1/g, ''))) {
      throw entityError('declares an external entity');
    }
    if (/[&%][\w.:-]+;/.test(decl.replace(/&(?:#x?[0-9a-f]+|amp|lt|gt|quot|apos);/gi, ''))) {
      throw entityError('declares an entity that refers to other entities');
    }
  }
}

function findDoctypeEnd(xml: string, start: number): number {
  // The internal subset [...] may hold '>' characters; scan to the matching "]>" if present.
  const bracket = xml.indexOf('[', start);
  const gt = xml.indexOf('>', start);
  if (bracket !== -1 && (gt === -1 || bracket < gt)) {
    const close = xml.indexOf(']', bracket);
    return close === -1 ? xml.length : close + 1;
  }
  return gt === -1 ? xml.length : gt + 1;
}

function entityError(detail: string): FeedError {
  return new FeedError('FEED_ENTITY_LIMIT', `the feed's DTD ${detail}; refused`);
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
