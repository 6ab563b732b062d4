import type { Config } from '../config.js';
import type { DigestService } from '../digests/digest-service.js';
import type { Logger } from '../log.js';
import type { MailTransport } from '../mail/transport.js';
import type { Keys, RedisClient } from '../redis.js';
import { createDigestCopies } from '../mail/digest-copy.js';
import type { Renderer } from '../render/render-digest.js';
import { createConfirmationLimit } from './confirmation-limit.js';
import type { Links } from './links.js';
import type { Subscriber } from './subscriber.js';
import type { Consent, SubscriberStore } from './subscriber-store.js';
import type { Tokens } from './tokens.js';

export type ConfirmOutcome =
  | { ok: true; subscriber: Subscriber; already: boolean }
  | { ok: false; code: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'SUBSCRIBER_BLOCKED' };

/**
 * The double opt-in flow: request (sends a confirmation), confirm, unsubscribe, resubscribe,
 * welcome. The public HTTP routes call it; it knows nothing of HTTP. It never tells the caller
 * what state an address was in, so the answer to a subscribe request cannot reveal it.
 */
export function createSubscription(deps: {
  config: Config;
  log: Pick<Logger, 'info' | 'warn'>;
  redis: RedisClient;
  keys: Keys;
  subscribers: Pick<
    SubscriberStore,
    'add' | 'get' | 'getByEmail' | 'setStatus' | 'update' | 'isSuppressed'
  >;
  tokens: Pick<Tokens, 'verify' | 'sign'>;
  links: Pick<Links, 'confirm' | 'recipient'>;
  mailer: Pick<MailTransport, 'sendMail' | 'sendRaw'>;
  renderer: Pick<Renderer, 'renderConfirm'>;
  digests: Pick<DigestService, 'list' | 'get'>;
  confirmationsPerDay: number;
  now: () => Date;
}) {
  const { subscribers, config } = deps;
  const copies = createDigestCopies({
    ...config,
    links: deps.links,
    tokens: deps.tokens,
    transport: deps.mailer,
  });
  const limit = createConfirmationLimit({
    redis: deps.redis,
    keys: deps.keys,
    perDay: deps.confirmationsPerDay,
  });

  async function sendConfirmation(sub: Subscriber): Promise<void> {
    if (!(await limit.take(sub.email))) {
      deps.log.info(
        { subscriber: sub.id },
        'confirmation not sent: daily limit for this address reached',
      );
      return;
    }
    const confirmUrl = deps.links.confirm(sub.id, deps.now());
    const { subject, html, text } = await deps.renderer.renderConfirm({
      confirmUrl,
      email: sub.email,
    });
    await deps.mailer.sendMail({ from: config.mail.from, to: sub.email, subject, html, text });
  }

  /** Sends the latest sent digest to a newly confirmed subscriber (WELCOME_EMAIL). */
  async function sendWelcome(sub: Subscriber): Promise<void> {
    const latest = (await deps.digests.list(20)).find(
      (d) => d.status === 'sent' || d.status === 'sent_with_failures',
    );
    const digest = latest && (await deps.digests.get(latest.date));
    if (!digest) return;
    // The same message the batch sent, with this subscriber's links and headers.
    await copies.toSubscriber(digest, sub);
  }

  return {
    /**
     * Handles a subscribe request for a normalised address. New or pending: a confirmation
     * email. Unsubscribed: a fresh confirmation (the status changes only when it is used).
     * Confirmed, bounced, complained or suppressed: nothing.
     */
    async request(input: { email: string; tz?: string; consent: Consent }): Promise<void> {
      if (await subscribers.isSuppressed(input.email)) return;
      let sub = await subscribers.getByEmail(input.email);
      if (!sub) {
        const added = await subscribers.add({
          email: input.email,
          tz: input.tz,
          status: 'pending',
          consent: input.consent,
        });
        // Two requests at once: the second finds the first's subscriber; one confirmation suffices.
        sub = added.subscriber;
        if (!added.created && sub.status !== 'pending') return;
      } else if (sub.status === 'pending' || sub.status === 'unsubscribed') {
        await subscribers.update(sub.id, {
          consent: input.consent,
          ...(input.tz ? { tz: input.tz } : {}),
        });
      } else {
        return;
      }
      await sendConfirmation(sub);
    },

    /** Uses a confirmation token. A second use is harmless; a bad token changes nothing. */
    async confirm(token: string): Promise<ConfirmOutcome> {
      const v = deps.tokens.verify('confirm', token, deps.now());
      if (!v.ok) return v;
      const sub = await subscribers.get(v.subscriberId);
      if (!sub) return { ok: false, code: 'TOKEN_INVALID' };
      if (sub.status === 'confirmed') return { ok: true, subscriber: sub, already: true };
      if (sub.status !== 'pending' && sub.status !== 'unsubscribed')
        return { ok: false, code: 'SUBSCRIBER_BLOCKED' };
      await subscribers.setStatus(sub.id, 'confirmed');
      return { ok: true, subscriber: { ...sub, status: 'confirmed' }, already: false };
    },

    sendWelcome,

    /** Unsubscribes the subscriber; bounced/complained keep their status (stronger). */
    async unsubscribe(sub: Subscriber): Promise<void> {
      if (sub.status === 'confirmed' || sub.status === 'pending')
        await subscribers.setStatus(sub.id, 'unsubscribed');
    },

    /** Subscribing again from a signed link: the link proves the address, so no new opt-in. */
    async resubscribe(sub: Subscriber): Promise<boolean> {
      if (sub.status !== 'unsubscribed') return sub.status === 'confirmed';
      if (await subscribers.isSuppressed(sub.email)) return false;
      await subscribers.setStatus(sub.id, 'confirmed');
      return true;
    },
  };
}

export type Subscription = ReturnType<typeof createSubscription>;
