import { describe, expect, it } from 'vitest';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { dataForm } from '../../src/mail/smtp-data.js';

/** What nodemailer's own DATA stream makes of `raw`: the reference for dot-stuffing. */
async function nodemailerDataForm(raw: Buffer): Promise<Buffer> {
  const stream = new DataStream();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => stream.on('end', r));
  stream.end(raw);
  await done;
  return Buffer.concat(chunks);
}

/** A CRLF-only message from a seeded generator: lines of letters, dots and spaces. */
function message(seed: number): Buffer {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = next();
    if (r < 0.15) lines.push('.');
    else if (r < 0.3) lines.push(`..${'a'.repeat(Math.floor(next() * 5))}`);
    else if (r < 0.35) lines.push('');
    else
      lines.push(`${next() < 0.3 ? '.' : ''}word. .word ${'x.'.repeat(Math.floor(next() * 10))}`);
  }
  return Buffer.from(lines.join('\r\n') + (next() < 0.5 ? '\r\n' : ''), 'latin1');
}

describe('dataForm', () => {
  it('stuffs dots and ends the data exactly as nodemailer does, for 300 messages', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const raw = message(seed);
      expect(Buffer.concat(dataForm(raw)).equals(await nodemailerDataForm(raw))).toBe(true);
    }
  });

  it('leaves a message without line-leading dots uncopied: the message, then ".\\r\\n"', () => {
    const raw = Buffer.from('Subject: x\r\n\r\nbody. with dots.\r\n', 'latin1');
    const pieces = dataForm(raw);
    expect(pieces).toHaveLength(2);
    expect(pieces[0]).toBe(raw);
    expect(pieces[1]!.toString()).toBe('.\r\n');
  });

  it('handles the edges: a leading dot, a lone dot line, no final CRLF, an empty message', () => {
    const form = (s: string) => Buffer.concat(dataForm(Buffer.from(s, 'latin1'))).toString();
    expect(form('.a\r\n')).toBe('..a\r\n.\r\n');
    expect(form('a\r\n.\r\nb\r\n')).toBe('a\r\n..\r\nb\r\n.\r\n');
    expect(form('a\r\n.')).toBe('a\r\n..\r\n.\r\n');
    expect(form('')).toBe('\r\n.\r\n');
  });
});
