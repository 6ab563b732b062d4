import { describe, expect, it } from 'vitest';
import type { Post } from '../../src/feeds/post.js';
import { digestView, postView } from '../../src/render/digest-view.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { SITE, WINDOW } from '../helpers/render-fixtures.js';

/** Posts are credited to their blog's name (the feed's title), not their domain. */
const post = (extra: Partial<Post> = {}): Post => ({
  id: 'p1',
  feed: 'https://ann.example/feed.xml',
  guid: 'g1',
  url: 'https://www.ann.example/posts/1',
  title: 'A post',
  author: 'Ann',
  publishedAt: '2026-03-08T10:00:00Z',
  summary: 'Summary.',
  imageUrl: undefined,
  firstSeenAt: '2026-03-08T12:00:00Z',
  ...extra,
});

/** The view of the renderer tests' digest of 2026-03-09 (its site and window) with `posts`. */
const weekOf = (posts: Post[]) =>
  digestView({ date: '2026-03-09', posts, window: WINDOW, site: SITE, tz: 'UTC' });

describe('the blog a post is credited to', () => {
  it('is the blog name when the post has one, else the domain', () => {
    expect(postView(post({ blog: 'Ann’s <Notes>' }), 'UTC')).toMatchObject({
      blog: 'Ann’s <Notes>',
      meta: 'Ann’s <Notes> · 8 Mar 2026 · Ann',
    });
    expect(postView(post(), 'UTC')).toMatchObject({
      blog: 'ann.example',
      meta: 'ann.example · 8 Mar 2026 · Ann',
    });
  });

  it('appears in the rendered digest, escaped', async () => {
    const renderer = createRenderer({ site: SITE, validationLevel: 'strict' });
    const { html, text } = await renderer.renderDigest({
      date: '2026-03-09',
      posts: [post({ blog: 'Ann <Notes>' })],
      window: WINDOW,
    });
    expect(html).toContain('Ann &lt;Notes&gt; &#xb7; 8 Mar 2026');
    expect(html).not.toContain('ann.example &#xb7;');
    expect(html).not.toContain('<Notes>');
    expect(text).toContain('Ann <Notes>');
  });

  it('with several blogs, the digest keeps the posts of each blog together, newest blog first', () => {
    const posts = [
      post({ id: 'a1', title: 'A newest', blog: 'A' }),
      post({ id: 'b1', title: 'B newest', blog: 'B' }),
      post({ id: 'a2', title: 'A older', blog: 'A' }),
      post({ id: 'c1', title: 'C only', url: 'https://c.example/1' }),
      post({ id: 'b2', title: 'B older', blog: 'B' }),
    ];
    const view = weekOf(posts);
    expect(view.posts.map((p) => p.title)).toEqual([
      'A newest',
      'A older',
      'B newest',
      'B older',
      'C only',
    ]);
    expect(view.subjectTitle).toBe('A newest');
    // One blog: the order is left alone.
    const one = weekOf([post({ title: 'x', blog: 'A' }), post({ title: 'y', blog: 'A' })]);
    expect(one.posts.map((p) => p.title)).toEqual(['x', 'y']);
  });
});
