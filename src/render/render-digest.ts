import type mjml2html from 'mjml';
import type { Config } from '../config.js';
import { AppError, ValidationError } from '../errors.js';
import type { ImageSize } from '../feeds/image-size.js';
import type { MeasureImage } from '../feeds/measure-image.js';
import type { Post } from '../feeds/post.js';
import type { Logger } from '../log.js';
import type { Frequency } from '../digests/frequency.js';
import { qpEncodeText } from '../mail/quoted-printable.js';
import { confirmView, digestView, MAX_SUMMARY, type DigestLayout } from './digest-view.js';
import { cleanMultiline, compactHtml, safeUrl } from './sanitise.js';
import { createTemplateLoader } from './templates.js';

/** A rendered email. In a digest, html and text carry the PLACEHOLDERS of placeholders.ts. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  /** MJML validation messages (only with validationLevel 'soft'; 'strict' throws instead). */
  warnings: string[];
}

/**
 * Gmail clips a message whose HTML passes about 102 KB and hides the rest, footer and
 * unsubscribe link included. The digest's HTML, as sent (quoted-printable), stays under
 * 100 KB less room for the per-recipient values that replace the placeholders.
 */
export const HTML_BUDGET = 100 * 1024 - 2 * 1024;
/** Summaries are cut to this first when a digest is too large. */
export const SHORT_SUMMARY = 160;

/** How a digest was fitted under HTML_BUDGET; absent when it fitted as it was. */
export interface DigestFit {
  /** Bytes of the quoted-printable HTML before and after. */
  bytesBefore: number;
  bytes: number;
  summariesCutTo: number;
  /** Posts shown in full, by title only, and not at all (counted, with a link to the archive). */
  full: number;
  listed: number;
  notShown: number;
}

export interface RendererDeps {
  site: Config['site'];
  templatesDir?: string;
  tz?: string;
  validationLevel?: 'strict' | 'soft';
  measureLogo?: MeasureImage;
  log?: Pick<Logger, 'warn'>;
  /** The footer's "less often" / "more often" links (the site offers several frequencies). */
  frequencyLinks?: boolean;
}

/**
 * Creates the renderer: Handlebars (escaping by default) fills the MJML templates, then MJML
 * turns them into email HTML. MJML runs once per digest (README guarantee 5); the
 * per-recipient parts stay as placeholders. Compiled templates are cached per renderer.
 *
 * `tz` formats post dates (DIGEST_TZ, default UTC). `validationLevel` 'strict' makes any MJML
 * validation error a TEMPLATE_INVALID error; 'soft' renders anyway and reports warnings.
 * `measureLogo` measures LOGO_URL once per renderer (every image is sent with numeric width and
 * height); without it, or when it cannot, the site name stands in for the logo, with a warning.
 */
export function createRenderer(deps: RendererDeps) {
  const templates = createTemplateLoader({ overrideDir: deps.templatesDir });
  const tz = deps.tz ?? 'UTC';
  const validationLevel = deps.validationLevel ?? 'strict';
  const logoSize = logoMeasurer(deps);
  const render = (name: 'digest' | 'confirm', data: object) =>
    renderEmail(templates, validationLevel, name, data);

  return {
    /**
     * The digest's subject, HTML and text. The caller skips empty digests (posts.length 0).
     * A digest too large for Gmail is fitted (see fitDigest) and says how in `fit`.
     */
    async renderDigest(input: {
      date: string;
      /** The edition's frequency (its "view in browser" link). */
      frequency?: Frequency;
      posts: Post[];
      /** The start of the digest's window ("posts since …"): all the renderer needs of it. */
      window: { windowStart: Date };
      /** Posts of the set beyond DIGEST_MAX_POSTS, counted with a link to the archive. */
      beyond?: number;
      /**
       * The public archive's copy (no per-recipient footer). It is read in a browser, where no
       * mail client clips it: every post in full, the page the cut email's archive link opens.
       */
      archive?: boolean;
    }): Promise<RenderedEmail & { fit?: DigestFit }> {
      const logo = await logoSize();
      if (input.archive)
        return render('digest', digestView({ ...input, site: deps.site, tz, logo }));
      const frequencyLinks = deps.frequencyLinks;
      return fitDigest(input.posts.length, (layout) =>
        render(
          'digest',
          digestView({ ...input, site: deps.site, tz, layout, logo, frequencyLinks }),
        ),
      );
    },

    /** The double opt-in email with its confirmation link (an http(s) URL). */
    async renderConfirm(input: { confirmUrl: string; email: string }): Promise<RenderedEmail> {
      const confirmUrl = safeUrl(input.confirmUrl);
      if (!confirmUrl)
        throw new ValidationError(
          'CONFIRM_URL_INVALID',
          'the confirmation link must be an http(s) URL',
        );
      const logo = await logoSize();
      return render('confirm', confirmView({ ...input, confirmUrl, site: deps.site, logo }));
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;

/** LOGO_URL's size, measured at the first render (a restart measures it again). */
function logoMeasurer(
  deps: Pick<RendererDeps, 'site' | 'measureLogo' | 'log'>,
): () => Promise<ImageSize | undefined> {
  let logo: Promise<ImageSize | undefined> | undefined;
  return () => {
    const url = safeUrl(deps.site.logoUrl);
    if (!url) return Promise.resolve(undefined);
    return (logo ??= (deps.measureLogo?.(url) ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then((size) => {
        if (!size)
          deps.log?.warn(
            { logoUrl: url },
            "LOGO_URL: could not read the logo's size (it must be fetchable, a PNG, JPEG, GIF or WebP); the emails show the site name instead",
          );
        return size;
      }));
  };
}

/** One email from its three templates: MJML to HTML, the text part and the subject line. */
async function renderEmail(
  templates: ReturnType<typeof createTemplateLoader>,
  validationLevel: 'strict' | 'soft',
  name: 'digest' | 'confirm',
  data: object,
): Promise<RenderedEmail> {
  const [mjmlTemplate, textTemplate, subjectTemplate] = await Promise.all([
    templates.get(`${name}.mjml`),
    templates.get(`${name}.txt.hbs`),
    templates.get(`${name}.subject.hbs`),
  ]);
  const { html, warnings } = await compileMjml(
    name,
    run(name, mjmlTemplate, data),
    validationLevel,
  );
  return {
    subject: oneLine(run(name, subjectTemplate, data)),
    html,
    text: `${cleanMultiline(run(name, textTemplate, data))}\n`,
    warnings,
  };
}

/** The size that counts for clipping: the HTML part as the send path encodes it. */
function htmlBytes(html: string): number {
  return qpEncodeText(html).length;
}

/**
 * Renders the digest whole; when its HTML is over HTML_BUDGET, cuts the summaries to
 * SHORT_SUMMARY, then shows fewer posts in full (the largest number that fits, found by
 * bisection) and lists the others by title, then lists fewer (the rest counted, with a link
 * to the archive). Each step renders again, so the size is measured, never estimated.
 */
async function fitDigest(
  count: number,
  renderWith: (layout: DigestLayout) => Promise<RenderedEmail>,
): Promise<RenderedEmail & { fit?: DigestFit }> {
  const whole = await renderWith({ maxSummary: MAX_SUMMARY, full: count, listed: 0 });
  const bytesBefore = htmlBytes(whole.html);
  if (bytesBefore <= HTML_BUDGET) return whole;
  const attempt = async (full: number, listed: number) => {
    const layout = { maxSummary: SHORT_SUMMARY, full, listed };
    const rendered = await renderWith(layout);
    return { rendered, layout, bytes: htmlBytes(rendered.html) };
  };
  let best = await attempt(count, 0);
  if (best.bytes > HTML_BUDGET) {
    // The largest `full` (with every other post listed) that fits; then the largest `listed`.
    best = await largestFitting(0, count - 1, (k) => attempt(k, count - k));
    if (best.bytes > HTML_BUDGET) best = await largestFitting(0, count, (k) => attempt(0, k));
  }
  const { layout } = best;
  return {
    ...best.rendered,
    fit: {
      bytesBefore,
      bytes: best.bytes,
      summariesCutTo: SHORT_SUMMARY,
      full: layout.full,
      listed: layout.listed,
      notShown: count - layout.full - layout.listed,
    },
  };
}

/** The attempt with the largest k in [lo, hi] that fits (bisection); the one at lo when none does. */
async function largestFitting<T extends { bytes: number }>(
  lo: number,
  hi: number,
  attempt: (k: number) => Promise<T>,
): Promise<T> {
  let best = await attempt(lo);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const a = await attempt(mid);
    if (a.bytes <= HTML_BUDGET) {
      best = a;
      lo = mid;
    } else hi = mid - 1;
  }
  return best;
}

function run(name: string, template: (data: object) => string, data: object): string {
  try {
    return template(data);
  } catch (err) {
    throw new AppError('TEMPLATE_INVALID', `template ${name}: ${(err as Error).message}`, 500);
  }
}

async function compileMjml(
  name: string,
  source: string,
  validationLevel: 'strict' | 'soft',
): Promise<{ html: string; warnings: string[] }> {
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    // mjml v5: async. Includes are off: partials come from Handlebars, and an include path
    // in a template must not read arbitrary files.
    // Loaded on first use: MJML and its dependencies weigh ~45 MB, which a process that only
    // sends (or only serves pages) never needs.
    const { default: compile } = await import('mjml');
    // fonts: {}: MJML otherwise links Google Fonts for any of its default families (Roboto is
    // in our system stack), which loads a third party's font on every open.
    result = await compile(source, {
      validationLevel,
      keepComments: false,
      ignoreIncludes: true,
      fonts: {},
    });
  } catch (err) {
    const details = (err as { errors?: { formattedMessage?: string }[] }).errors;
    const message = details?.map((e) => e.formattedMessage).join('; ') || (err as Error).message;
    throw new AppError('TEMPLATE_INVALID', `template ${name}.mjml: ${message}`, 500);
  }
  return { html: compactHtml(result.html), warnings: result.errors.map((e) => e.formattedMessage) };
}

/** A subject is one header line: no breaks, collapsed spaces, bounded. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 250);
}
