import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createBatchSender } from '../../src/delivery/send-batch.js';
import { createLedger } from '../../src/delivery/ledger.js';
import { buildDigest, type BuildDeps, type BuildOptions } from '../../src/digests/build-digest.js';
import { createDigestStore } from '../../src/digests/digest-store.js';
import { createVariantStore } from '../../src/digests/variant-store.js';
import { createVariants } from '../../src/digests/variants.js';
import { createPostStore } from '../../src/feeds/post-store.js';
import type { Post } from '../../src/feeds/post.js';
import { createLogger } from '../../src/log.js';
import { createMailTransport } from '../../src/mail/transport.js';
import { createRenderer, type Renderer } from '../../src/render/render-digest.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import { createLinks } from '../../src/subscribers/links.js';
import { createTokens } from '../../src/subscribers/tokens.js';
import type { Topic } from '../../src/topics/topic.js';
import { testRedis } from './redis.js';
import { startSmtpSink } from './smtp-sink.js';

/**
 * Post ids as a digest's text carries them with `plainRenderer`: `POSTS[a,b,c]`. With the MJML
 * renderer, `received` reads the posts' URLs instead.
 */
const PLAIN = /POSTS\[([^\]]*)\]/;

/**
 * A renderer that lists the post ids, for the simulated year (hundreds of distinct post sets:
 * MJML takes ~200 ms a render on this machine). What the property checks is which posts reach
 * whom; the MJML path is the one every other edition test uses.
 */
export const plainRenderer: Pick<Renderer, 'renderDigest'> = {
  renderDigest: (input) =>
    Promise.resolve({
      subject: `Digest ${input.date}`,
      html: `<p>POSTS[${input.posts.map((p) => p.id).join(',')}]</p><a href="%%UNSUBSCRIBE_URL%%">u</a>`,
      text: `POSTS[${input.posts.map((p) => p.id).join(',')}]\n%%UNSUBSCRIBE_URL%%\n`,
      warnings: [],
    }),
};

/**
 * The build and send paths on the test Redis and a real SMTP sink, driven directly with a
 * clock the test sets: `build` builds an edition (the fan-out's send jobs are kept, ids only),
 * `send` runs them through the batch sender, optionally only for the subscribers `only` picks
 * (a zone's send instant), so the rest go in a later call.
 */
export async function editionHarness(
  name: string,
  opts: { env?: Record<string, string>; plain?: boolean; start?: string } = {},
) {
  const t = testRedis(name);
  const sink = await startSmtpSink();
  const dataDir = mkdtempSync(path.join(tmpdir(), `digest-${name}-`));
  const config = loadConfig({
    REDIS_PREFIX: t.prefix,
    DATA_DIR: dataDir,
    SMTP_URL: sink.url,
    SECRET: 'test-secret-test-secret-test-secret-0123',
    PUBLIC_URL: 'https://digest.example.com',
    MAIL_FROM: 'Example Digest <digest@example.com>',
    SITE_NAME: 'Example Digest',
    POSTAL_ADDRESS: '1 Example Street, Example City',
    DIGEST_FREQUENCIES: 'daily,weekly,monthly',
    DIGEST_TZ: 'UTC',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const log = createLogger('silent');
  const { redis, keys } = t;
  let now = new Date(opts.start ?? '2026-11-02T00:00:00Z');
  const clock = () => now;
  const posts = createPostStore({ redis, keys });
  const subscribers = createSubscriberStore({ redis, keys });
  const digests = createDigestStore({ redis, keys });
  const ledger = createLedger({ redis, keys, leaseMs: 60_000 });
  const topics: Topic[] = [];
  const renderer = opts.plain
    ? plainRenderer
    : createRenderer({ site: config.site, tz: config.digest.tz });
  const variants = createVariants({
    store: createVariantStore({ redis, keys }),
    posts,
    renderer,
    topics: { list: () => Promise.resolve(topics) },
    maxPosts: config.digest.maxPosts,
    log,
  });
  const transport = createMailTransport({
    smtp: config.smtp,
    outboxDir: config.outboxDir,
    dkim: config.mail.dkim,
    log,
  });
  const tokens = createTokens(config.secret ?? 'test-secret-test-secret-test-secret-0123');
  const sender = createBatchSender({
    digests,
    subscribers,
    posts,
    variants,
    ledger,
    transport,
    links: createLinks({ publicUrl: config.site.publicUrl, tokens }),
    tokens,
    mail: config.mail,
    site: config.site,
    digest: config.digest,
    parallel: 8,
    owner: `test-${name}`,
    log,
  });
  /** Recipients per built edition not sent yet. */
  const pending = new Map<string, number[]>();
  const buildDeps: BuildDeps = {
    digests,
    posts,
    variants,
    schedules: config.digest,
    maxPosts: config.digest.maxPosts,
    log,
    now: clock,
  };

  return {
    t,
    sink,
    config,
    posts,
    subscribers,
    digests,
    ledger,
    variants,
    topics,
    /** Sets the clock (an ISO instant). */
    at(iso: string) {
      now = new Date(iso);
    },
    now: clock,
    /** A post that arrives now, published `ageMs` before (default: just now). */
    async post(slug: string, extra: { ageMs?: number; feed?: string; categories?: string[] } = {}) {
      const item = {
        url: `https://blog.example.com/${slug}`,
        guid: slug,
        title: `Post ${slug}`,
        summary: `About ${slug}.`,
        publishedAt: new Date(now.getTime() - (extra.ageMs ?? 0)),
        ...(extra.categories ? { categories: extra.categories } : {}),
      };
      const { id } = await posts.upsert(item, extra.feed ?? 'https://blog.example.com/feed', now);
      return (await posts.get(id))!;
    },
    /**
     * Builds `id`; a new build's recipients are every confirmed subscriber (as a fan-out that
     * pages them all: the send path skips those of another frequency), sent by `send`. `opts`:
     * as the build job passes them (default: a manual build).
     */
    async build(id: string, opts: BuildOptions = { trigger: 'manual' }) {
      const r = await buildDigest(buildDeps, id, opts);
      if (r.status === 'built' && !pending.has(id))
        pending.set(id, await subscribers.pageIds('confirmed', 0, 100_000));
      return r;
    },
    /** Sends the edition's fanned-out recipients (those `only` picks), in batches of 50. */
    async send(edition: string, only: (id: number) => boolean = () => true) {
      const ids = pending.get(edition) ?? [];
      const now = ids.filter(only);
      pending.set(
        edition,
        ids.filter((id) => !now.includes(id)),
      );
      for (let i = 0; i < now.length; i += 50)
        await sender.send(edition, now.slice(i, i + 50), true);
    },
    /** Per recipient address: the posts of each message they received (ids or URLs). */
    received(byUrl: Map<string, Post> = new Map()): Map<string, string[][]> {
      const out = new Map<string, string[][]>();
      for (const m of sink.messages) {
        const raw = m.raw.toString('latin1').replace(/=\r\n/g, '');
        const plain = PLAIN.exec(raw);
        const got = plain
          ? plain[1]!.split(',').filter(Boolean)
          : [...byUrl.entries()].filter(([url]) => raw.includes(url)).map(([, p]) => p.id);
        for (const to of m.to) out.set(to, [...(out.get(to) ?? []), got]);
      }
      return out;
    },
    async close() {
      await transport.close();
      await sink.close();
      await t.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type EditionHarness = Awaited<ReturnType<typeof editionHarness>>;

/** The posts (by slug) each message to `email` carried, in order. */
export function slugsTo(h: EditionHarness, posts: Post[], email: string): string[][] {
  const byUrl = new Map(posts.map((p) => [p.url, p]));
  const slug = new Map(posts.map((p) => [p.id, p.url.split('/').pop()!]));
  return (h.received(byUrl).get(email) ?? []).map((m) => m.map((id) => slug.get(id)!).sort());
}

/** A confirmed subscriber `email` (`extra`: frequency, tz, topics); their id. */
export async function addReader(h: EditionHarness, email: string, extra: object = {}) {
  return (await h.subscribers.add({ email, status: 'confirmed', ...extra })).subscriber.id;
}

/**
 * Post `slug` arrives at `iso` (published then too, unless `extra.ageMs` says how long before):
 * stored, and added to `posts`.
 */
export async function arrives(
  h: EditionHarness,
  posts: Post[],
  iso: string,
  slug: string,
  extra?: Parameters<EditionHarness['post']>[1],
) {
  h.at(iso);
  posts.push(await h.post(slug, extra));
}

/** Builds `id` at `iso` (its send instant) and sends every recipient. */
export async function sendEdition(h: EditionHarness, id: string, iso: string) {
  h.at(iso);
  const r = await h.build(id);
  await h.send(id);
  return r;
}
