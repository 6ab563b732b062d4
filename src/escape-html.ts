/**
 * The one HTML escaper, for text and quoted attribute values: the server-rendered pages
 * (src/http/html.ts), the confirmation and welcome mails, and the per-recipient values of a
 * digest's HTML part (src/mail/digest-message.ts, on the send path: text without a special
 * character, the usual address, is returned as it is, without a copy).
 */
const SPECIAL = /[&<>"'`]/;
const SPECIALS = /[&<>"'`]/g;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes `&`, `<`, `>`, `"`, `'` and `` ` `` as HTML entities. */
export function escapeHtml(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIALS, (c) => ENTITIES[c]!) : s;
}
