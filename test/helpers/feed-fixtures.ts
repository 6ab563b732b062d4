import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedFeed } from '../../src/feeds/parse-feed.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/feeds');

/** The bytes of test/fixtures/feeds/`name`. */
export const fixture = (name: string): Buffer => readFileSync(path.join(fixtures, name));

/** The item of `feed` whose link is `url`; throws, naming the links there are, without one. */
export function byUrl(feed: ParsedFeed, url: string) {
  const item = feed.items.find((i) => i.url === url);
  if (!item) throw new Error(`no item ${url} in ${feed.items.map((i) => i.url).join(', ')}`);
  return item;
}
