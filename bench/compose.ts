/**
 * Composition benchmark: the digest fast path (`prepareDigestMessage(...).build`) against
 * nodemailer's MailComposer building the same message per recipient. One core, no I/O.
 *
 *   npx tsx bench/compose.ts [--messages 50000] [--baseline 1000]
 */
import { performance } from 'node:perf_hooks';
import MailComposer from 'nodemailer/lib/mail-composer';
import { escapeHtml } from '../src/escape-html.js';
import { prepareDigestMessage } from '../src/mail/digest-message.js';
import { listIdFor } from '../src/mail/headers.js';
import { fillPlaceholders, PLACEHOLDERS } from '../src/render/placeholders.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const MESSAGES = arg('messages', 50_000);
const BASELINE = arg('baseline', 1_000);

const WORDS = (
  'the digest collects every post of the week with a short summary so readers can decide what to read ' +
  'café naïve résumé über straße 日本語のテキスト 🎉 performance notes on queues redis and smtp pools'
).split(' ');

function sentence(seed: number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[(seed * 7 + i * 13) % WORDS.length]!);
  return out.join(' ');
}

/** A digest shaped like the MJML output: 20 posts, table layout, inline styles, ~40 KB HTML. */
function fixture(): { html: string; text: string; subject: string } {
  const style =
    'font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#333333;text-align:left;';
  const posts = Array.from({ length: 20 }, (_, i) => ({
    title: `${sentence(i, 6)} #${i + 1}`,
    url: `https://blog.example.com/${2025}/${i + 1}/${sentence(i, 3).replace(/[^a-z]+/g, '-')}`,
    summary: sentence(i + 3, 105),
  }));
  const htmlPosts = posts
    .map(
      (p) =>
        `<tr><td align="left" style="font-size:0px;padding:10px 25px;word-break:break-word;">` +
        `<div style="${style}font-size:20px;font-weight:bold;"><a href="${p.url}" style="color:#1a73e8;text-decoration:none;">${p.title}</a></div>` +
        `</td></tr><tr><td align="left" style="font-size:0px;padding:0 25px 10px;word-break:break-word;">` +
        `<div style="${style}">${p.summary}</div><div style="${style}font-size:13px;color:#888888;">Published 3 March 2025</div></td></tr>` +
        `<tr><td align="left" vertical-align="middle" style="font-size:0px;padding:10px 25px;word-break:break-word;">` +
        `<table border="0" cellpadding="0" cellspacing="0" role="presentation" style="border-collapse:separate;line-height:100%;"><tr>` +
        `<td align="center" bgcolor="#1a73e8" role="presentation" style="border:none;border-radius:3px;cursor:auto;mso-padding-alt:10px 25px;background:#1a73e8;" valign="middle">` +
        `<a href="${p.url}" style="display:inline-block;background:#1a73e8;color:#ffffff;font-family:Helvetica,Arial,sans-serif;font-size:13px;font-weight:normal;line-height:120%;margin:0;text-decoration:none;text-transform:none;padding:10px 25px;mso-padding-alt:0px;border-radius:3px;" target="_blank">Read more →</a>` +
        `</td></tr></table></td></tr>`,
    )
    .join('\n');
  const html =
    `<!doctype html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Weekly Digest</title>` +
    `<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><style type="text/css">` +
    `#outlook a { padding:0; } body { margin:0;padding:0;-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%; } ` +
    `table, td { border-collapse:collapse;mso-table-lspace:0pt;mso-table-rspace:0pt; }</style></head>` +
    `<body style="word-spacing:normal;background-color:#f4f4f4;"><div style="background-color:#f4f4f4;">` +
    `<table align="center" border="0" cellpadding="0" cellspacing="0" role="presentation" style="width:100%;"><tbody>\n` +
    htmlPosts +
    `\n<tr><td style="${style}font-size:12px;color:#888888;padding:20px 25px;">You receive this at ${PLACEHOLDERS.email}. ` +
    `<a href="${PLACEHOLDERS.preferencesUrl}">Preferences</a> · <a href="${PLACEHOLDERS.unsubscribeUrl}">Unsubscribe</a></td></tr>` +
    `</tbody></table></div></body></html>`;
  const text =
    posts
      .map((p) => `${p.title}\n${p.url}\n\n${p.summary}\n\nPublished 3 March 2025\n\n`)
      .join('----------\n\n') +
    `You receive this at ${PLACEHOLDERS.email}.\nPreferences: ${PLACEHOLDERS.preferencesUrl}\nUnsubscribe: ${PLACEHOLDERS.unsubscribeUrl}\n`;
  return { html, text, subject: 'Weekly Digest — 3 March 2025: café, 日本語 and 🎉' };
}

const recipient = (i: number) => ({
  email: `subscriber${i}@example.org`,
  unsubscribeUrl: `https://digest.example.com/unsubscribe?token=${Buffer.from(`unsubscribe.${i}.1767225600.signature-bytes-here`).toString('base64url')}`,
  preferencesUrl: `https://digest.example.com/preferences?token=${Buffer.from(`preferences.${i}.1767225600.signature-bytes-here`).toString('base64url')}`,
});

const digest = fixture();
const from = 'Weekly Digest <digest@example.com>';
const listId = listIdFor('Weekly Digest', 'digest@example.com');

let t = performance.now();
const message = prepareDigestMessage({
  ...digest,
  from,
  fromAddress: 'digest@example.com',
  listId,
});
const prepareMs = performance.now() - t;
const size = message.build(recipient(0)).length;

for (let i = 0; i < 2_000; i++) message.build(recipient(i)); // warm-up
let bytes = 0;
t = performance.now();
for (let i = 0; i < MESSAGES; i++) bytes += message.build(recipient(i)).length;
const fastSeconds = (performance.now() - t) / 1000;

// The floor for "one Buffer per message": allocate and copy a message-sized buffer.
const template = message.build(recipient(0));
t = performance.now();
for (let i = 0; i < MESSAGES; i++) {
  const copy = Buffer.allocUnsafe(template.length);
  copy.set(template, 0);
}
const floorSeconds = (performance.now() - t) / 1000;

async function composeWithNodemailer(i: number): Promise<Buffer> {
  const r = recipient(i);
  const values = { ...r, email: r.email };
  const htmlValues = { ...values, email: escapeHtml(r.email) };
  const mail = new MailComposer({
    from,
    to: r.email,
    subject: digest.subject,
    text: fillPlaceholders(digest.text, values),
    html: fillPlaceholders(digest.html, htmlValues),
    headers: {
      'List-Id': `<${listId}>`,
      'List-Unsubscribe': `<${r.unsubscribeUrl}>, <mailto:unsubscribe@example.com?subject=unsubscribe>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  });
  return mail.compile().build();
}

for (let i = 0; i < 100; i++) await composeWithNodemailer(i); // warm-up
t = performance.now();
for (let i = 0; i < BASELINE; i++) await composeWithNodemailer(i);
const baseSeconds = (performance.now() - t) / 1000;

const fastRate = MESSAGES / fastSeconds;
const baseRate = BASELINE / baseSeconds;
console.log(
  `digest: ${digest.html.length} chars HTML, ${digest.text.length} chars text; message ${size} bytes`,
);
console.log(`prepare (once per digest): ${prepareMs.toFixed(1)} ms`);
console.log(
  `build():      ${fastRate.toFixed(0).padStart(8)} messages/s  (${MESSAGES} messages, ${(bytes / fastSeconds / 1e6).toFixed(0)} MB/s)`,
);
console.log(
  `alloc+copy:   ${(MESSAGES / floorSeconds).toFixed(0).padStart(8)} messages/s  (the floor: one allocation and copy per message)`,
);
console.log(`MailComposer: ${baseRate.toFixed(0).padStart(8)} messages/s  (${BASELINE} messages)`);
console.log(`speed-up: ${(fastRate / baseRate).toFixed(1)}x`);
