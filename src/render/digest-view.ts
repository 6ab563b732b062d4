import { tz as inZone } from '@date-fns/tz';
import { format } from 'date-fns';
import type { Config } from '../config.js';
import { editionId } from '../digests/edition.js';
import type { Frequency } from '../digests/frequency.js';
import type { ImageSize } from '../feeds/image-size.js';
import type { Post } from '../feeds/post.js';
import { DARK_CARD_BACKGROUND, lightenUntilReadable } from './contrast.js';
import { PLACEHOLDERS } from './placeholders.js';
import { cleanText, safeUrl, truncate, wrapText } from './sanitise.js';

/**
 * The data the templates see: every string cleaned (sanitise.ts) and every link http(s) or
 * absent. Templates get no raw feed values, so a custom template cannot forget to clean one.
 */

export const MAX_TITLE = 200;
export const MAX_SUMMARY = 400;
const SUBJECT_TITLE = 80;
/** The widest a post's image is shown: the 600 px body less post.mjml's 28 px padding each side. */
export const POST_IMAGE_WIDTH = 544;
/** The widest the logo is shown (header.mjml). */
export const LOGO_WIDTH = 160;

export interface SiteView {
  name: string;
  publicUrl: string;
  postalAddress: string;
  accentColor: string;
  /** The accent for links in dark mode, at WCAG AA against the dark card (contrast.ts). */
  darkLinkColor: string;
  /** Only with its size known (LOGO_URL measured), shown at logoWidth × logoHeight. */
  logoUrl: string | undefined;
  logoWidth: number | undefined;
  logoHeight: number | undefined;
  homeUrl: string;
  /** SITE_LANG, and the direction its script is written in. */
  lang: string;
  dir: 'ltr' | 'rtl';
}

export interface PostView {
  title: string;
  /** http(s) or undefined: then the title is shown without a link. */
  url: string | undefined;
  summary: string;
  /** The summary wrapped for the text part. */
  summaryText: string;
  author: string;
  /** The blog's name (its feed's title), else the post's domain. */
  blog: string;
  dateLabel: string;
  /** "Ann's Blog · 3 Mar 2026 · Ann Author" */
  meta: string;
  /** Only with the image's size known (measured at ingest), shown at imageWidth × imageHeight. */
  imageUrl: string | undefined;
  imageWidth: number | undefined;
  imageHeight: number | undefined;
  imageAlt: string;
}

/**
 * `site` for the templates; `logo` is LOGO_URL's size (render-digest.ts measures it once),
 * without which the site name stands in for the logo.
 */
export function siteView(site: Config['site'], logo?: ImageSize): SiteView {
  const logoUrl = logo ? safeUrl(site.logoUrl) : undefined;
  const logoBox = logoUrl && logo ? shownSize(logo, LOGO_WIDTH) : undefined;
  const publicUrl = safeUrl(site.publicUrl)?.replace(/\/+$/, '') ?? '';
  const accentColor = /^#[0-9a-fA-F]{6}$/.test(site.accentColor) ? site.accentColor : '#1a73e8';
  return {
    name: cleanText(site.name, 100),
    publicUrl,
    postalAddress: cleanText(site.postalAddress, 300),
    accentColor,
    darkLinkColor: lightenUntilReadable(accentColor, DARK_CARD_BACKGROUND),
    logoUrl,
    logoWidth: logoBox?.width,
    logoHeight: logoBox?.height,
    homeUrl: `${publicUrl}/`,
    lang: site.lang,
    dir: textDirection(site.lang),
  };
}

/** `rtl` for a language written right to left (ar, he, fa, ur ...), from the runtime's CLDR data. */
export function textDirection(lang: string): 'ltr' | 'rtl' {
  try {
    const locale = new Intl.Locale(lang) as Intl.Locale & {
      getTextInfo?: () => { direction?: string };
      textInfo?: { direction?: string };
    };
    const info = locale.getTextInfo?.() ?? locale.textInfo;
    return info?.direction === 'rtl' ? 'rtl' : 'ltr';
  } catch {
    return 'ltr';
  }
}

export function postView(post: Post, tz: string, maxSummary = MAX_SUMMARY): PostView {
  const title = cleanText(post.title, MAX_TITLE) || 'Untitled post';
  const summary = cleanText(post.summary, maxSummary);
  const author = cleanText(post.author, 80);
  const url = safeUrl(post.url);
  const dateLabel = formatDate(post.publishedAt, 'd MMM yyyy', tz);
  const blog = cleanText(post.blog, 80) || (url ? new URL(url).hostname.replace(/^www\./, '') : '');
  const imageUrl = post.imageSize ? safeUrl(post.imageUrl) : undefined;
  const imageBox =
    imageUrl && post.imageSize ? shownSize(post.imageSize, POST_IMAGE_WIDTH) : undefined;
  return {
    title,
    url,
    summary,
    summaryText: wrapText(summary),
    author,
    blog,
    dateLabel,
    meta: [blog, dateLabel, author].filter(Boolean).join(' \u00b7 '),
    imageUrl,
    imageWidth: imageBox?.width,
    imageHeight: imageBox?.height,
    imageAlt: truncate(title, 100),
  };
}

/**
 * The pixels an image takes in the email: its own size, narrowed to `maxWidth` with its aspect
 * kept. These become the numeric `width` and `height` attributes Outlook sizes images by
 * (other clients follow the CSS `height:auto` that compactHtml keeps beside them).
 */
export function shownSize(size: ImageSize, maxWidth: number): ImageSize {
  const width = Math.min(size.width, maxWidth);
  return { width, height: Math.max(1, Math.round((size.height * width) / size.width)) };
}

/**
 * How much of each post a digest shows when the whole would be too large for Gmail
 * (render-digest.ts `fitDigest`): the first `full` posts in full with summaries cut to
 * `maxSummary`, the next `listed` as a title and link each, and the rest only counted, with a
 * link to the archive.
 */
export interface DigestLayout {
  maxSummary: number;
  full: number;
  listed: number;
}

/** Everything digest.mjml, digest.txt.hbs and digest.subject.hbs see. */
export function digestView(input: {
  date: string;
  /**
   * The edition's frequency: "view in browser" opens `/digests/<frequency>/<date>` (absent:
   * `/digests/<date>`, which redirects to the weekly edition).
   */
  frequency?: Frequency;
  posts: Post[];
  /** The start of the digest's window ("posts since …"): all the renderer needs of it. */
  window: { windowStart: Date };
  site: Config['site'];
  tz: string;
  layout?: DigestLayout;
  /** Posts of the set beyond DIGEST_MAX_POSTS: counted, with a link to the archive. */
  beyond?: number;
  /** The public archive's copy: no recipient, a subscribe link in the footer. */
  archive?: boolean;
  /** LOGO_URL's size, when known. */
  logo?: ImageSize;
  /** The footer's "less often" / "more often" links: only where the site offers a choice. */
  frequencyLinks?: boolean;
}) {
  const site = siteView(input.site, input.logo);
  const layout = input.layout ?? { maxSummary: MAX_SUMMARY, full: input.posts.length, listed: 0 };
  // Grouped before the layout cuts, so the posts shown in full are the first of the grouped order.
  const all = groupByBlog(input.posts.map((p) => postView(p, input.tz, layout.maxSummary)));
  const posts = all.slice(0, layout.full);
  const alsoPosts = all.slice(layout.full, layout.full + layout.listed);
  const beyond = Math.max(0, input.beyond ?? 0);
  const notShown = all.length - posts.length - alsoPosts.length + beyond;
  const first = all[0];
  const count = all.length + beyond;
  const since = formatDate(input.window.windowStart.toISOString(), 'EEEE d MMMM', input.tz);
  const { frequency, date } = input;
  const edition = frequency ? editionId({ frequency, date }) : date;
  return {
    lang: site.lang,
    dir: site.dir,
    site,
    date: input.date,
    dateLabel: formatDate(`${input.date}T12:00:00Z`, 'EEEE d MMMM yyyy', 'UTC'),
    intro: `${count} new ${count === 1 ? 'post' : 'posts'} since ${since}`,
    posts,
    /** Posts shown by title only, and how many are not shown at all (see DigestLayout). */
    alsoPosts,
    notShown,
    archiveUrl: `${site.publicUrl}/digests`,
    count,
    more: Math.max(0, count - 1),
    subjectTitle: first ? truncate(first.title, SUBJECT_TITLE) : '',
    preheader: truncate(all.map((p) => p.title).join(' \u00b7 '), 150),
    viewInBrowserUrl: `${site.publicUrl}/digests/${edition}`,
    frequencyLinks: input.frequencyLinks ?? false,
    // The public archive's copy has no recipient: a subscribe link instead of theirs.
    ...(input.archive ? { archive: true } : recipientPlaceholders()),
  };
}

/** Everything confirm.mjml, confirm.txt.hbs and confirm.subject.hbs see. */
export function confirmView(input: {
  confirmUrl: string;
  email: string;
  site: Config['site'];
  logo?: ImageSize;
}) {
  const site = siteView(input.site, input.logo);
  return {
    lang: site.lang,
    dir: site.dir,
    site,
    confirmUrl: input.confirmUrl,
    email: cleanText(input.email, 320),
    preheader: 'One click to confirm, and the digest starts arriving.',
    expiresHours: 48,
  };
}

/**
 * With posts from several blogs, each blog's posts together (blogs in the order of their
 * newest post, posts in the order given): the meta line names the blog, so a run reads as a
 * section. The first post stays first, so the subject does not change.
 */
export function groupByBlog<T extends { blog: string }>(posts: T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const p of posts) {
    const group = groups.get(p.blog);
    if (group) group.push(p);
    else groups.set(p.blog, [p]);
  }
  return groups.size > 1 ? [...groups.values()].flat() : posts;
}

function recipientPlaceholders() {
  return {
    unsubscribeUrl: PLACEHOLDERS.unsubscribeUrl,
    preferencesUrl: PLACEHOLDERS.preferencesUrl,
    email: PLACEHOLDERS.email,
    delivery: PLACEHOLDERS.delivery,
    frequencyUrl: PLACEHOLDERS.frequencyUrl,
  };
}

function formatDate(iso: string, pattern: string, zone: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : format(t, pattern, { in: inZone(zone) });
}
