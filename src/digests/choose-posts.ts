import type { PostStore } from '../feeds/post-store.js';
import type { Topic } from '../topics/topic.js';
import type { DigestWindow } from './digest-window.js';
import type { PreviousEdition } from './digest-store.js';
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

/**
 * The main post set's frame and start for an edition not built yet (a reader with no cursor
 * and no topics), after `prev` (the digest store's previousBuilt) and up to `seqTo`: after the
 * previous built edition's seqTo; with none, window mode from the window's start, or from the
 * oldest unbuilt edition's before it (skipped or held: their posts are this one's, README
 * guarantee 3). The build, the preview and the trigger's "nothing to send" check share it.
 */
export function newEditionFrame<W extends DigestWindow>(
  window: W,
  prev: PreviousEdition | undefined,
  seqTo: number,
): { frame: SetFrame & { window: W }; start: SetStart; windowFrom?: Date } {
  const from = prev?.builtAt ? undefined : prev?.unbuiltFrom;
  const windowFrom = from && from < window.windowStart ? from : undefined;
  return {
    frame: {
      window: windowFrom ? { ...window, windowStart: windowFrom } : window,
      seqTo,
      ...(prev?.builtAt ? { previousBuiltAt: prev.builtAt } : {}),
    },
    start: setStart(undefined, prev?.seqTo),
    ...(windowFrom ? { windowFrom } : {}),
  };
}
