import { digestWindow } from '../../src/digests/digest-window.js';
import type { Post } from '../../src/feeds/post.js';

/** The renderer tests' site: no logo (a test that wants one adds LOGO_URL's). */
export const SITE = {
  name: 'Example Blog',
  publicUrl: 'https://blog.example',
  lang: 'en',
  postalAddress: '1 Example Street, 75001 Paris',
  accentColor: '#0f766e',
  logoUrl: undefined as string | undefined,
};

/** The weekly window the renderer tests' digest of 2026-03-09 covers. */
export const WINDOW = digestWindow('2026-03-09', { cron: '0 9 * * 1', tz: 'UTC' });

/** Post `i` of the window, published an hour before post `i - 1`, with no image. */
export function post(i: number, extra: Partial<Post> = {}): Post {
  return {
    id: `p${i}`,
    feed: 'https://blog.example/feed.xml',
    guid: `g${i}`,
    url: `https://blog.example/posts/${i}`,
    title: `Post number ${i}`,
    author: 'Ann Author',
    publishedAt: new Date(Date.UTC(2026, 2, 8, 12 - i)).toISOString(),
    summary: `Summary of post ${i}.`,
    imageUrl: undefined,
    firstSeenAt: '2026-03-08T12:00:00Z',
    ...extra,
  };
}
