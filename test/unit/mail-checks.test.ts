import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createDkimSigner } from '../../src/mail/dkim.js';
import { classifyHost, dkimAligned } from '../../src/mail/smtp-target.js';
import { writeMailSamples, type SampleName } from '../helpers/mail-samples.js';

/**
 * The checks independent tools make on what the service sends: SpamAssassin's score, dkimpy's
 * verdict on the signature, and the start-up refusals that keep mail from going out broken.
 */

const PYTHON = '/usr/bin/python3';
const hasDkimpy = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import dkim']).status === 0;
const hasSpamassassin = spawnSync('spamassassin', ['--version']).status === 0;

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicDer = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const DKIM_ENV = {
  DKIM_DOMAIN: 'news.example.com',
  DKIM_SELECTOR: 'mail',
  DKIM_PRIVATE_KEY: privatePem,
};

let dir: string;
let samples: Record<SampleName, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mail-samples-'));
  samples = await writeMailSamples(dir, DKIM_ENV);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** dkimpy's verify with the public key given in place of DNS; returns the signed h= names. */
function dkimpyVerify(file: string): { ok: boolean; h: string[] } {
  const script = `
import dkim, sys, re
msg = open(sys.argv[1], 'rb').read()
key = b'v=DKIM1; k=rsa; p=' + sys.argv[2].encode()
ok = dkim.verify(msg, dnsfunc=lambda name, timeout=5: key)
h = re.search(rb'h=([^;]+);', re.sub(rb'\\r\\n[ \\t]+', b' ', msg)).group(1).replace(b' ', b'')
print('ok' if ok else 'fail', h.decode())
`;
  const out = execFileSync(PYTHON, ['-c', script, file, publicDer]).toString().trim().split(' ');
  return { ok: out[0] === 'ok', h: out[1]!.split(':') };
}

describe('DKIM', () => {
  it('refuses an invalid DKIM_PRIVATE_KEY at start, naming it', () => {
    for (const key of ['not a key', privatePem.replace(/[A-Z]{10}/, 'AAAAAAAAAA').slice(0, 200)]) {
      expect(() => loadConfig({ ...DKIM_ENV, DKIM_PRIVATE_KEY: key })).toThrow(
        expect.objectContaining({ variable: 'DKIM_PRIVATE_KEY' }),
      );
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(() =>
      loadConfig({
        ...DKIM_ENV,
        DKIM_PRIVATE_KEY: ec.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }),
    ).toThrow(ConfigError);
    expect(loadConfig(DKIM_ENV).mail.dkim?.domainName).toBe('news.example.com');
  });

  it('stops the program with exit 1 naming DKIM_PRIVATE_KEY when the key is unusable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'runs'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, ...DKIM_ENV, DKIM_PRIVATE_KEY: 'not a key' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DKIM_PRIVATE_KEY');
  });

  it('warns when DKIM_DOMAIN does not align with the From domain (DMARC)', () => {
    const env = { ...DKIM_ENV, MAIL_FROM: 'Digest <digest@news.example.com>' };
    expect(loadConfig(env).warnings).toEqual([]);
    const other = loadConfig({ ...env, DKIM_DOMAIN: 'mailer.example.net' }).warnings;
    expect(other).toEqual([expect.stringMatching(/^DKIM_DOMAIN mailer\.example\.net .*DMARC/)]);
    expect(dkimAligned('example.com', 'news.example.com')).toBe(true);
    expect(dkimAligned('example.com', 'example.org')).toBe(false);
  });

  it.skipIf(!hasDkimpy)(
    'every sample verifies with dkimpy, oversigning the four headers',
    () => {
      for (const [name, file] of Object.entries(samples)) {
        const { ok, h } = dkimpyVerify(file);
        expect(ok, name).toBe(true);
        for (const field of ['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']) {
          // once per instance plus once more: none present (confirmation) still listed once
          expect(h.filter((x) => x === field).length, `${name} ${field}`).toBeGreaterThanOrEqual(
            field.startsWith('list-') && name === 'confirmation' ? 1 : 2,
          );
        }
      }
      // One python process per sample (five): allow each half a minute on a loaded machine.
    },
    150_000,
  );

  it.skipIf(!hasDkimpy)(
    'a From or List-Unsubscribe added in transit breaks the signature',
    async () => {
      const raw = await readFile(samples.digest, 'latin1');
      for (const extra of [
        'From: Mallory <m@evil.example>',
        'List-Unsubscribe: <https://evil.example/>',
      ]) {
        const file = join(dir, 'tampered.eml');
        const at = raw.indexOf('\r\nTo: ');
        await writeFile(file, `${raw.slice(0, at)}\r\n${extra}${raw.slice(at)}`, 'latin1');
        expect(dkimpyVerify(file).ok, extra).toBe(false);
      }
    },
  );

  it('signs the same bytes it is given, with the signature first', () => {
    const signer = createDkimSigner({
      domainName: 'news.example.com',
      keySelector: 's',
      privateKey: privatePem,
    });
    const raw = Buffer.from(
      'From: a@news.example.com\r\nTo: <b@example.org>\r\nSubject: x\r\n\r\nbody\r\n',
    );
    const signed = signer.sign(raw);
    expect(signed.subarray(signed.length - raw.length).equals(raw)).toBe(true);
    expect(signed.toString('latin1')).toMatch(
      /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=news\.example\.com;/,
    );
  });
});

describe('SpamAssassin', () => {
  it.skipIf(!hasSpamassassin)(
    'scores every message the service sends at 0 or below (local tests, shipped rules)',
    () => {
      const scores: Record<string, string> = {};
      for (const [name, file] of Object.entries(samples)) {
        const r = spawnSync('spamassassin', ['-L', '-t'], { input: readFileSync(file) });
        const status = /^X-Spam-Status: .*score=(-?[\d.]+)[^\n]*(?:\n\t[^\n]*)*/m.exec(
          r.stdout.toString(),
        );
        expect(status, `${name}: no X-Spam-Status`).toBeTruthy();
        scores[name] = `${status![1]} ${status![0].replace(/\s+/g, ' ')}`;
        expect(Number(status![1]), scores[name]).toBeLessThanOrEqual(0);
        expect(status![0], name).not.toMatch(/HTML_FONT_LOW_CONTRAST|PDS_BRAND_SUBJ_NAKED_TO/);
      }
      // The measured scores, for the record (README guarantee 11).
      console.log(scores);
    },
    300_000,
  );
  it.runIf(!hasSpamassassin)('is skipped: spamassassin is not installed', () => {
    console.log("spamassassin not found: install Debian's spamassassin to score the samples");
  });
});

describe('where mail goes (start-up checks)', () => {
  it.each([
    ['localhost', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['[::1]', 'loopback'],
    ['::1', 'loopback'],
    ['mail.localhost', 'loopback'],
    ['mailpit', 'private'],
    ['10.0.0.5', 'private'],
    ['172.18.0.3', 'private'],
    ['192.168.1.20', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.1.1', 'private'],
    ['[fd00::1]', 'private'],
    ['[::ffff:10.1.2.3]', 'private'],
    ['relay.internal', 'private'],
    ['smtp.example.com', 'public'],
    ['email-smtp.eu-west-1.amazonaws.com', 'public'],
    ['203.0.113.9', 'private'], // TEST-NET-3: reserved, not the internet
    ['8.8.8.8', 'public'],
    ['[2001:4860:4860::8888]', 'public'],
  ])('classifies %s as %s', (host, kind) => {
    expect(classifyHost(host)).toBe(kind);
  });

  const PUBLIC_SMTP = 'smtps://user:pass@smtp.example.com:465';
  it('refuses a public SMTP server with PUBLIC_URL on localhost or unset, naming PUBLIC_URL', () => {
    for (const PUBLIC_URL of ['http://localhost:3000', 'http://127.0.0.1:3000', undefined]) {
      expect(() =>
        loadConfig({ SMTP_URL: PUBLIC_SMTP, PUBLIC_URL, MAIL_FROM: 'D <d@news.example.com>' }),
      ).toThrow(expect.objectContaining({ variable: 'PUBLIC_URL' }));
    }
  });

  it('refuses a public SMTP server with MAIL_FROM at localhost, naming MAIL_FROM', () => {
    expect(() =>
      loadConfig({ SMTP_URL: PUBLIC_SMTP, PUBLIC_URL: 'https://news.example.com' }),
    ).toThrow(expect.objectContaining({ variable: 'MAIL_FROM' }));
    const ok = loadConfig({
      SMTP_URL: PUBLIC_SMTP,
      PUBLIC_URL: 'https://news.example.com',
      MAIL_FROM: 'D <d@news.example.com>',
    });
    expect(ok.warnings).toEqual([]);
  });

  it('only warns, loudly, with a local or private SMTP server', () => {
    for (const SMTP_URL of ['smtp://mailpit:1025', 'smtp://127.0.0.1:2525', 'smtp://10.1.1.1:25']) {
      const c = loadConfig({ SMTP_URL });
      expect(c.warnings).toEqual([
        expect.stringMatching(/^PUBLIC_URL .*localhost/),
        expect.stringMatching(/^MAIL_FROM .*localhost/),
      ]);
    }
    // the outbox sends nothing anywhere: nothing to warn about
    expect(loadConfig({}).warnings).toEqual([]);
  });

  it('derives the VERP bounce address from MAIL_FROM unless BOUNCE_ADDRESS is set', () => {
    expect(loadConfig({ MAIL_FROM: 'D <d@news.example.com>' }).mail.bounceAddress).toBe(
      'bounces@news.example.com',
    );
    expect(loadConfig({ BOUNCE_ADDRESS: 'rp@bounce.example.com' }).mail.bounceAddress).toBe(
      'rp@bounce.example.com',
    );
  });
});
