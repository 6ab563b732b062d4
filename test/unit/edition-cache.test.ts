import { describe, expect, it } from 'vitest';
import { createEditionCache } from '../../src/delivery/edition-cache.js';
import type { DigestSummary } from '../../src/digests/digest-store.js';

const mailConfig = {
  mail: {
    from: 'Digest <digest@example.com>',
    fromAddress: 'digest@example.com',
    bounceAddress: 'bounces@example.com',
  },
  site: { name: 'Digest', publicUrl: 'https://digest.example.com' },
};

/** A digest store with no digest: the cache reads only stored variants here. */
const noDigests = {
  get: () => Promise.resolve(undefined),
  getSummary: () => Promise.resolve(undefined),
};
const notUsed = () => Promise.reject(new Error('not used'));

/** A cache over a fake variant store that counts how often each variant's content is read. */
function cacheWithReads(limits?: { variants?: number }) {
  const reads: string[] = [];
  const cache = createEditionCache({
    ...mailConfig,
    digests: noDigests,
    variants: {
      content: notUsed,
      stored: (edition: string, variant: string) => {
        reads.push(`${edition}|${variant}`);
        return Promise.resolve({
          subject: `Subject ${variant}`,
          html: `<p>${variant}</p>`,
          text: variant,
          postIds: [],
          beyond: 0,
        });
      },
    },
    ...(limits ? { limits } : {}),
  });
  return { cache, reads };
}

const edition = (id: string) => ({ id }) as DigestSummary;

describe('createEditionCache', () => {
  it('prepares each of 48 variants in use together once, however the batches interleave them', async () => {
    const { cache, reads } = cacheWithReads();
    const editions = ['daily/2027-02-01', 'weekly/2027-02-01', 'monthly/2027-02-01'];
    for (let round = 0; round < 3; round++)
      for (const id of editions)
        for (let v = 0; v < 16; v++) await cache.message(edition(id), `v${v}`);
    expect(reads).toHaveLength(48);
    expect(new Set(reads).size).toBe(48);
  });

  it('keeps the variants used most recently when it must drop one', async () => {
    const { cache, reads } = cacheWithReads({ variants: 2 });
    const d = edition('weekly/2027-02-01');
    for (const v of ['a', 'b', 'a', 'c', 'a']) await cache.message(d, v);
    // 'a' was used again before 'c' came in, so 'b' (least recently used) went out, not 'a'.
    expect(reads).toEqual(['weekly/2027-02-01|a', 'weekly/2027-02-01|b', 'weekly/2027-02-01|c']);
    await cache.message(d, 'b');
    expect(reads.at(-1)).toBe('weekly/2027-02-01|b');
  });

  it('forgets a variant whose content could not be read, and reads it again next time', async () => {
    let fail = true;
    const flaky = createEditionCache({
      ...mailConfig,
      digests: noDigests,
      variants: {
        content: notUsed,
        stored: () =>
          fail
            ? Promise.reject(new Error('redis down'))
            : Promise.resolve({
                subject: 's',
                html: '<p>x</p>',
                text: 'x',
                postIds: [],
                beyond: 0,
              }),
      },
    });
    const d = edition('weekly/2027-02-01');
    await expect(flaky.message(d, 'a')).rejects.toThrow('redis down');
    fail = false;
    await expect(flaky.message(d, 'a')).resolves.toBeDefined();
  });
});
