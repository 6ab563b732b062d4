import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import { ValidationError } from '../errors.js';
import type { Post } from '../feeds/post.js';
import { createPostStore, type PostStore } from '../feeds/post-store.js';
import { fillPlaceholders, type RecipientValues } from '../render/placeholders.js';
import { createRenderer, type Renderer } from '../render/render-digest.js';
import { createDigestStore } from './digest-store.js';
import { digestWindow, isDigestDate, nextDigestDate, type DigestWindow } from './digest-window.js';
import { candidatesStart, selectPosts } from './select-posts.js';

export interface PreviewDeps {
  postStore: Pick<PostStore, 'listPublishedBetween'>;
  renderer: Pick<Renderer, 'renderDigest'>;
  config: {
    digest: Pick<Config['digest'], 'cron' | 'tz' | 'maxPosts'>;
    site: Pick<Config['site'], 'publicUrl'>;
  };
  /** When the digest before `date` was built, if there is one (for late arrivals). */
  getPreviousBuiltAt?: (date: string) => Promise<Date | undefined>;
}

export interface Preview {
  date: string;
  window: DigestWindow;
  subject: string;
  /** Sample values in place of the per-recipient placeholders; '' when empty. */
  html: string;
  text: string;
  posts: Post[];
  /** No posts: the digest would not be sent, and nothing was rendered. */
  empty: boolean;
}

/** Stand-ins for the per-recipient parts: no real subscriber's token or address. */
export function sampleRecipient(publicUrl: string): RecipientValues {
  return {
    unsubscribeUrl: `${publicUrl}/unsubscribe?token=sample`,
    preferencesUrl: `${publicUrl}/preferences?token=sample`,
    email: 'reader@example.com',
  };
}

/**
 * The digest of `date` as it would be built from the posts stored now, without building,
 * storing or sending it: the same window, selection and renderer as the build.
 */
export async function previewDigest(deps: PreviewDeps, date: string): Promise<Preview> {
  const schedule = { cron: deps.config.digest.cron, tz: deps.config.digest.tz };
  const window = digestWindow(date, schedule);
  const [candidates, previousBuiltAt] = await Promise.all([
    deps.postStore.listPublishedBetween(
      candidatesStart(window).getTime(),
      window.windowEnd.getTime(),
    ),
    deps.getPreviousBuiltAt?.(date),
  ]);
  const posts = selectPosts({
    candidates,
    window,
    previousBuiltAt,
    maxPosts: deps.config.digest.maxPosts,
  });
  if (posts.length === 0)
    return { date, window, subject: '', html: '', text: '', posts, empty: true };

  const rendered = await deps.renderer.renderDigest({ date, posts, window });
  const sample = sampleRecipient(deps.config.site.publicUrl);
  return {
    date,
    window,
    subject: rendered.subject,
    html: fillPlaceholders(rendered.html, sample),
    text: fillPlaceholders(rendered.text, sample),
    posts,
    empty: false,
  };
}

/** `digest preview [--date D] [--out file] [--text]`. */
export function registerPreviewCommand(program: Command, getContext: () => Promise<Context>): void {
  program
    .command('preview')
    .description('render a digest from the posts stored now, without building or sending it')
    .option('--date <date>', 'send date YYYY-MM-DD (default: the next scheduled digest)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--text', 'the plain-text part instead of the HTML')
    .action(async (opts: { date?: string; out?: string; text?: boolean }) => {
      if (opts.date !== undefined && !isDigestDate(opts.date)) {
        throw new ValidationError(
          'DIGEST_DATE_INVALID',
          `--date "${opts.date}" is not a date like 2026-03-02`,
        );
      }
      const ctx = await getContext();
      try {
        const { config, redis, keys } = ctx;
        const digests = createDigestStore({ redis, keys });
        const schedule = { cron: config.digest.cron, tz: config.digest.tz };
        const date = opts.date ?? nextDigestDate(new Date(), schedule);
        const preview = await previewDigest(
          {
            postStore: createPostStore({ redis, keys }),
            renderer: createRenderer({
              site: config.site,
              templatesDir: config.templatesDir,
              tz: config.digest.tz,
            }),
            config,
            getPreviousBuiltAt: (d) => digests.previousBuiltAt(digestWindow(d, schedule).sendAt),
          },
          date,
        );
        if (preview.empty) {
          process.stderr.write(`No posts for the digest of ${date}: it would not be sent.\n`);
          return;
        }
        const body = opts.text ? preview.text : preview.html;
        if (opts.out) {
          await writeFile(opts.out, body);
          process.stderr.write(
            `Digest of ${date}: ${preview.posts.length} posts, "${preview.subject}". Wrote ${opts.out}.\n`,
          );
        } else {
          process.stdout.write(body);
        }
      } finally {
        await ctx.close();
      }
    });
}
