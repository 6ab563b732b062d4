import { decodeXML, encodeXML } from 'entities';
import { FeedError } from './feed-error.js';

/** At most this many entity declarations in a DTD; real feeds declare none or a few. */
export const MAX_DTD_ENTITIES = 5;
/** At most this many characters added by expanding them. */
export const MAX_EXPANSION = 1024 * 1024;

/**
 * Readies a feed's XML for the parser: refuses a dangerous DTD, expands the few plain entities
 * a DTD may declare (the parser leaves `&name;` as text, which would end up in guids and
 * titles), and applies an absolute `xml:base` on a `<link>` element to its href (the parser
 * drops that attribute; RFC 4287 §2 and XML Base let any element carry one).
 */
export function prepareXml(xml: string): string {
  const dtd = prologDtd(xml);
  const entities = dtd ? checkDtd(xml.slice(dtd.start, dtd.end)) : new Map<string, string>();
  const bases = xml.includes('xml:base');
  if (entities.size === 0 && !bases) return xml; // the usual case: nothing to do
  const end = dtd?.end ?? 0;
  const body = outsideCdata(xml.slice(end), (s) => {
    const expanded = expandEntities(s, entities);
    return bases ? resolveLinkBases(expanded) : expanded;
  });
  return xml.slice(0, end) + body;
}

/**
 * Refuses a DOCTYPE that declares more than a handful of entities, parameter or external
 * entities, or entities that refer to other entities (the "billion laughs" shape), and
 * returns the declared internal entities. Expanding those is then bounded: no expansion can
 * produce another reference.
 */
function checkDtd(dtd: string): Map<string, string> {
  const decls = dtd.match(/<!ENTITY\b[\s\S]*?>/gi) ?? [];
  if (decls.length > MAX_DTD_ENTITIES) {
    throw entityError(`declares ${decls.length} entities (limit ${MAX_DTD_ENTITIES})`);
  }
  const entities = new Map<string, string>();
  for (const decl of decls) {
    if (/<!ENTITY\s+%/i.test(decl)) throw entityError('declares a parameter entity');
    if (/\b(?:SYSTEM|PUBLIC)\b/.test(decl.replace(/(["'])[\s\S]*?\1/g, ''))) {
      throw entityError('declares an external entity');
    }
    if (/[&%][\w.:-]+;/.test(decl.replace(/&(?:#x?[0-9a-f]+|amp|lt|gt|quot|apos);/gi, ''))) {
      throw entityError('declares an entity that refers to other entities');
    }
    const m = /^<!ENTITY\s+([A-Za-z_][\w.:-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>$/.exec(decl);
    // The first declaration of a name binds (XML 1.0 §4.2).
    if (m?.[1] && !entities.has(m[1])) entities.set(m[1], m[2] ?? m[3] ?? '');
  }
  return entities;
}

/** The DOCTYPE before the root element, if any. */
function prologDtd(xml: string): { start: number; end: number } | undefined {
  const start = xml.search(/<!DOCTYPE/i);
  if (start === -1) return undefined;
  if (xml.slice(0, start).search(/<[A-Za-z]/) !== -1) return undefined; // not in the prolog
  // The internal subset [...] may hold '>' characters; scan to the matching "]>" if present.
  const bracket = xml.indexOf('[', start);
  const gt = xml.indexOf('>', start);
  if (bracket !== -1 && (gt === -1 || bracket < gt)) {
    const close = xml.indexOf(']', bracket);
    const end = close === -1 ? -1 : xml.indexOf('>', close);
    return { start, end: end === -1 ? xml.length : end + 1 };
  }
  return { start, end: gt === -1 ? xml.length : gt + 1 };
}

function expandEntities(s: string, entities: Map<string, string>): string {
  if (entities.size === 0) return s;
  const names = [...entities.keys()].map((n) => n.replace(/[.]/g, '\\.'));
  // No entity refers to another, but one long value referenced often still multiplies.
  let added = 0;
  return s.replace(new RegExp(`&(${names.join('|')});`, 'g'), (ref, n: string) => {
    const value = entities.get(n)!;
    added += value.length - ref.length;
    if (added > MAX_EXPANSION)
      throw entityError(`entities expand to more than ${MAX_EXPANSION} characters`);
    return value;
  });
}

/** `<link xml:base="https://a.example/x/" href="y">` becomes `<link href="https://a.example/x/y">`. */
function resolveLinkBases(s: string): string {
  return s.replace(/<(?:[A-Za-z_][\w.-]*:)?link\b[^<>]*\sxml:base\s*=[^<>]*>/g, (tag) => {
    const base = attribute(tag, 'xml:base');
    const href = attribute(tag, 'href');
    if (base === undefined || href === undefined) return tag;
    let resolved: string;
    try {
      resolved = new URL(href, base).href; // a relative base throws: the tag is left as it is
    } catch {
      return tag;
    }
    return tag
      .replace(/\sxml:base\s*=\s*(?:"[^"]*"|'[^']*')/, '')
      .replace(
        /(\shref\s*=\s*)(?:"[^"]*"|'[^']*')/,
        (_, pre: string) => `${pre}"${encodeXML(resolved)}"`,
      );
  });
}

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag);
  const raw = m?.[1] ?? m?.[2];
  return raw === undefined ? undefined : decodeXML(raw).trim();
}

/** Applies `fn` to the text between CDATA sections and comments, which stay as they are. */
function outsideCdata(xml: string, fn: (s: string) => string): string {
  return xml
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->)/)
    .map((part, i) => (i % 2 === 1 ? part : fn(part)))
    .join('');
}

function entityError(detail: string): FeedError {
  return new FeedError('FEED_ENTITY_LIMIT', `the feed's DTD ${detail}; refused`);
}
