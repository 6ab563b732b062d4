import { NotFoundError } from '../errors.js';
import type { Subscriber } from './subscriber.js';
import type { SubscriberStore } from './subscriber-store.js';

/**
 * Deletes the subscriber with this address; with `erase`, also suppresses the address (kept
 * only as a hash) so that no add or import brings it back (GDPR erasure). Throws
 * SUBSCRIBER_NOT_FOUND when there is none.
 */
export async function removeSubscriberByEmail(
  store: Pick<SubscriberStore, 'getByEmail' | 'remove' | 'erase'>,
  email: string,
  opts: { erase?: boolean } = {},
): Promise<Subscriber> {
  const s = await store.getByEmail(email);
  if (!s)
    throw new NotFoundError('SUBSCRIBER_NOT_FOUND', `no subscriber with the address ${email}`);
  if (opts.erase) await store.erase(s.id);
  else await store.remove(s.id);
  return s;
}
