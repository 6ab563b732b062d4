import type { PostStore } from '../feeds/post-store.js';
import type { Topic } from '../topics/topic.js';
import {
  candidatesStart,
  selectPostSet,
  type PostSet,
  type SetFrame,
  type SetStart,
} from './select-posts.js';

/** Bound on the candidates one post set reads (README guarantee 8). */
const CANDIDATES_LIMIT = 5000;

export interface ChoosePostsDeps {
  postStore: Pick<PostStore, 'listPublishedBetween' | 'listArrivedBetween'>;
  maxPosts: number;
}

/**
 * A post set read from the store: the one selection the build, the send path, the previews
 * and the "nothing to send" check share (README guarantee 3).
 */
export async function choosePosts(
  deps: ChoosePostsDeps,
  frame: SetFrame,
  start: SetStart,
  topics: readonly Topic[] = [],
): Promise<PostSet> {
  const candidates =
    'seq' in start
      ? await deps.postStore.listArrivedBetween(start.seq, frame.seqTo, CANDIDATES_LIMIT)
      : // No upper publish bound: seqTo ends the set (select-posts.ts, window mode).
        await deps.postStore.listPublishedBetween(
          candidatesStart(frame.window).getTime(),
          Number.MAX_SAFE_INTEGER,
        );
  return selectPostSet({ candidates, frame, start, topics, maxPosts: deps.maxPosts });
}

/** Where a subscriber's set starts: their cursor, else the edition's seqFrom, else its window. */
export function setStart(cursor: number | undefined, seqFrom: number | undefined): SetStart {
  const seq = cursor ?? seqFrom;
  return seq === undefined ? { window: true } : { seq };
}
