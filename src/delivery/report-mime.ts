import addressparser from 'nodemailer/lib/addressparser';

/**
 * The MIME walk of a report (bounce-reports.ts): a message or part as headers and body,
 * multipart bodies split on their boundary, transfer encodings undone, and the address fields
 * reports carry. Our own, because a report is a narrow, well-defined shape and mailparser (a dev
 * dependency only) flattens an inline message/rfc822 part into the body text, losing the
 * complained-about message's headers. Text is latin1 throughout: one character per byte.
 */

/** The part types that return the original message (or its headers). */
export const ORIGINAL_TYPES =
  /^(message\/rfc822|text\/rfc822-headers|message\/rfc822-headers|message\/global|message\/global-headers)$/;

export interface Part {
  headers: Map<string, string[]>;
  body: string;
}

/** Headers and body of a message or part; undefined when it does not start with a header. */
export function parsePart(text: string): Part | undefined {
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const body = m ? text.slice(m.index + m[0].length) : '';
  const headers = parseHeaderBlock(head);
  return headers.size > 0 && /^[!-9;-~]+:/.test(head.trimStart()) ? { headers, body } : undefined;
}

/** Header fields (unfolded), by lower-cased name; lines that are not fields are skipped. */
export function parseHeaderBlock(block: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  const unfolded = block.trim().replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), m[2]!.trim()]);
  }
  return fields;
}

export function contentType(part: Part): { type: string; params: Map<string, string> } {
  const value = first(part.headers, 'content-type') ?? 'text/plain';
  const [type = '', ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const m = /^\s*([^=\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))/.exec(p);
    if (m) params.set(m[1]!.toLowerCase(), m[2]?.replace(/\\(.)/g, '$1') ?? m[3] ?? '');
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The body parts between boundary lines; undefined when there is no boundary or no part. */
export function splitMultipart(body: string, boundary: string | undefined): Part[] | undefined {
  if (!boundary || boundary.length > 200) return undefined;
  const parts: Part[] = [];
  const delimiter = `--${boundary}`;
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith(delimiter)) {
      const rest = line.slice(delimiter.length);
      if (/^(--)?[ \t]*$/.test(rest)) {
        if (current)
          parts.push(
            parsePart(current.join('\n')) ?? { headers: new Map(), body: current.join('\n') },
          );
        current = rest.startsWith('--') ? undefined : [];
        if (!current) break;
        continue;
      }
    }
    current?.push(line);
  }
  // A truncated report (no closing delimiter) still yields the parts it has.
  if (current)
    parts.push(parsePart(current.join('\n')) ?? { headers: new Map(), body: current.join('\n') });
  return parts.length > 0 ? parts : undefined;
}

/** The part's body with its Content-Transfer-Encoding undone, as latin1 text. */
export function decodeBody(part: Part): string {
  const cte = (first(part.headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64')
    return Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (cte === 'quoted-printable') {
    return part.body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return part.body;
}

/** `rfc822; <a@b>` (DSN / ARF address field) → `a@b`, or undefined when unusable. */
export function dsnAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semi = value.indexOf(';');
  const raw = (semi >= 0 ? value.slice(semi + 1) : value)
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .trim();
  return plausibleAddress(toUtf8(raw));
}

/** The mailbox addresses of an address header such as To. */
export function mailboxes(value: string): string[] {
  return addressparser(toUtf8(value), { flatten: true })
    .map((a) => plausibleAddress(a.address ?? ''))
    .filter(isString);
}

function plausibleAddress(s: string): string | undefined {
  return /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(s) && s.length <= 320 ? s : undefined;
}

export function first(fields: Map<string, string[]>, name: string): string | undefined {
  return fields.get(name)?.[0];
}

function toUtf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

export function isString(v: string | undefined): v is string {
  return typeof v === 'string';
}
