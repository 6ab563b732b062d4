import { FeedError } from './feed-error.js';
import type { FeedState, FeedStore } from './feed-store.js';
import { normaliseSource } from './feed-store.js';
import type { DiscoveredFeed } from './discover-feeds.js';
import type { SourceCheck } from './ingest.js';

export type AddFeedResult =
  /** Added (or already there): `discoveredFrom` names the page it was found on. */
  | { added: true; feed: FeedState; title?: string; items?: number; discoveredFrom?: string }
  /** The page links to several feeds: nothing was added; the admin chooses one. */
  | { added: false; page: string; choices: DiscoveredFeed[] };

export interface AddFeedDeps {
  feeds: Pick<FeedStore, 'add'>;
  ingest: { checkSource(source: string): Promise<SourceCheck> };
}

/**
 * Adds a feed after fetching and parsing it, so a 404, a page without feeds or a host that
 * does not exist is refused with its reason (FeedError) instead of failing at every ingest. An
 * HTML page that links to one feed adds that feed; one that links to several adds nothing and
 * returns them. `check: false` adds without fetching (a feed that is down right now).
 */
export async function addFeed(
  deps: AddFeedDeps,
  source: string,
  opts: { check?: boolean } = {},
): Promise<AddFeedResult> {
  if (opts.check === false) return { added: true, feed: await deps.feeds.add(source) };
  const url = normaliseSource(source);
  const first = await deps.ingest.checkSource(url);
  if (first.kind === 'feed') {
    return { added: true, feed: await deps.feeds.add(url), title: first.title, items: first.items };
  }
  if (first.feeds.length === 0) {
    throw new FeedError(
      'FEED_PARSE',
      `${url} is an HTML page that links to no feed (no <link rel="alternate"> of RSS, Atom or JSON Feed): give the feed's own URL`,
      422,
    );
  }
  if (first.feeds.length > 1) return { added: false, page: url, choices: first.feeds };
  const only = first.feeds[0]!;
  const second = await deps.ingest.checkSource(only.url);
  if (second.kind !== 'feed') {
    throw new FeedError('FEED_PARSE', `${url} links to ${only.url}, which is not a feed`, 422);
  }
  return {
    added: true,
    feed: await deps.feeds.add(only.url),
    title: second.title ?? only.title,
    items: second.items,
    discoveredFrom: url,
  };
}
