import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';

/**
 * DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed) of complete messages. Our own because
 * nodemailer's signer lists each header name at most once in `h=` and only when present, so it
 * cannot oversign: list a header once more than it occurs, so that a copy added in transit
 * (a second From or List-Unsubscribe) breaks the signature (RFC 6376 §8.15). README guarantee 11
 * says which headers are covered.
 */

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

/** Signed when present, in this order. */
const SIGNED = [
  'from',
  'to',
  'subject',
  'date',
  'message-id',
  'reply-to',
  'cc',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'precedence',
  'auto-submitted',
];
/** Listed once more than they occur, present or not (RFC 8058 §4 needs both List- headers signed). */
const OVERSIGNED = new Set(['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']);

/** Throws with the reason when `pem` is not an RSA private key that can sign. */
export function loadDkimKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(`is a ${key.asymmetricKeyType ?? 'unknown'} key; rsa-sha256 needs an RSA key`);
  }
  sign('sha256', Buffer.from('probe'), key);
  return key;
}

interface HeaderField {
  name: string;
  /** The field as it stands, folding included, without the final CRLF. */
  raw: string;
}

/** Creates a signer; `sign(raw)` returns the message with a DKIM-Signature header prepended. */
export function createDkimSigner(opts: DkimOptions, now: () => number = Date.now) {
  const key = loadDkimKey(opts.privateKey);
  const domain = opts.domainName.toLowerCase();
  return {
    sign(raw: Buffer): Buffer {
      const text = raw.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const body = split < 0 ? '' : text.slice(split + 4);
      const fields = parseHeaderFields(head);
      const { names, data } = signedHeaders(fields);
      const bh = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');
      const unsigned =
        `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain};\r\n` +
        ` s=${opts.keySelector}; t=${Math.floor(now() / 1000)};\r\n` +
        ` h=${foldList(names)};\r\n bh=${bh};\r\n b=`;
      const input = data + relaxedField(unsigned);
      const b = sign('sha256', Buffer.from(input, 'latin1'), key).toString('base64');
      const header = `${unsigned}${b.replace(/(.{72})(?=.)/g, '$1\r\n ')}\r\n`;
      return Buffer.concat([Buffer.from(header, 'latin1'), raw]);
    },
  };
}

export type DkimSigner = ReturnType<typeof createDkimSigner>;

function parseHeaderFields(head: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1]!.raw += `\r\n${line}`;
    else fields.push({ name: line.slice(0, line.indexOf(':')).trim().toLowerCase(), raw: line });
  }
  return fields;
}

/** The `h=` names and the canonical header data they sign (instances taken from the bottom up). */
function signedHeaders(fields: HeaderField[]): { names: string[]; data: string } {
  const names: string[] = [];
  let data = '';
  for (const name of SIGNED) {
    const present = fields.filter((f) => f.name === name).reverse();
    for (const f of present) {
      names.push(name);
      data += `${relaxedField(f.raw)}\r\n`;
    }
    // A listed name with no instance left signs nothing (RFC 6376 §5.4.2), so none may be added.
    if (OVERSIGNED.has(name)) names.push(name);
  }
  return { names, data };
}

/** Relaxed header canonicalisation (RFC 6376 §3.4.2), without the trailing CRLF. */
function relaxedField(raw: string): string {
  const colon = raw.indexOf(':');
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${raw.slice(0, colon).trim().toLowerCase()}:${value}`;
}

/** Relaxed body canonicalisation (RFC 6376 §3.4.4). */
function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.length ? `${lines.join('\r\n')}\r\n` : '';
}

/** `a:b:c` folded before a colon so no line of the header grows past ~76 characters. */
function foldList(names: string[]): string {
  let out = '';
  let line = 3;
  for (const [i, n] of names.entries()) {
    const piece = i === 0 ? n : `:${n}`;
    if (line + piece.length > 74) {
      out += '\r\n ';
      line = 1;
    }
    out += piece;
    line += piece.length;
  }
  return out;
}
