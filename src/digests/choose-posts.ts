import type { Post } from '../feeds/post.js';
import type { PostStore } from '../feeds/post-store.js';
import type { DigestWindow } from './digest-window.js';
import { candidatesStart, selectPosts } from './select-posts.js';

export interface ChoosePostsDeps {
  postStore: Pick<PostStore, 'listPublishedBetween'>;
  /** When the digest before `date` was built, if there is one (for late arrivals). */
  getPreviousBuiltAt?: (date: string) => Promise<Date | undefined>;
  maxPosts: number;
}

/**
 * The posts a digest of `window` would carry if it were built now: the one selection the build,
 * the previews and the "nothing to send" check share.
 */
export async function choosePosts(deps: ChoosePostsDeps, window: DigestWindow): Promise<Post[]> {
  const [candidates, previousBuiltAt] = await Promise.all([
    deps.postStore.listPublishedBetween(
      candidatesStart(window).getTime(),
      window.windowEnd.getTime(),
    ),
    deps.getPreviousBuiltAt?.(window.date),
  ]);
  return selectPosts({ candidates, window, previousBuiltAt, maxPosts: deps.maxPosts });
}
