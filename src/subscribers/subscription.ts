import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Keys, RedisClient } from '../redis.js';
import { fillPlaceholders } from '../render/placeholders.js';
import type { Subscriber } from '../subscribers/subscriber.js';
import type { Tokens } from '../subscribers/tokens.js';
import type { Consent } from '../subscribers/subscriber-store.js';
import type { DigestServiceLike, MailerLike, RendererLike, SubscriberStoreLike } from './deps.js';
import type { Links } from './links.js';

const DAY_SECONDS = 24 * 3600;

export type ConfirmOutcome =
  | { ok: true; subscriber: Subscriber; already: boolean }
  | { ok: false; code: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'SUBSCRIBER_BLOCKED' };

/**
 * The double opt-in flow behind the public pages: request (sends a confirmation), confirm,
 * unsubscribe, resubscribe. HTTP routes call it; it never tells the caller what state an
 * address was in, so the answer to a subscribe request cannot reveal it.
 */
export function createSubscription(deps: {
  config: Config;
  log: Pick<Logger, 'info' | 'warn'>;
  redis: RedisClient;
  keys: Keys;
  subscribers: SubscriberStoreLike;
  tokens: Pick<Tokens, 'verify'>;
  links: Links;
  mailer: MailerLike;
  renderer: RendererLike;
  digests: Pick<DigestServiceLike, 'list' | 'get'>;
  confirmationsPerDay: number;
  now: () => Date;
}) {
  const { subscribers, config } = deps;

  /** At most N confirmation emails per address per day; counts under keys.rate('confirm', …). */
  async function takeConfirmationSlot(email: string): Promise<boolean> {
    const id = createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 32);
    const key = deps.keys.rate('confirm', id);
    const res = await deps.redis.multi().set(key, 0, 'EX', DAY_SECONDS, 'NX').incr(key).exec();
    const count = Number(res?.[1]?.[1] ?? Infinity);
    return count <= deps.confirmationsPerDay;
  }

  async function sendConfirmation(sub: Subscriber): Promise<void> {
    if (!(await takeConfirmationSlot(sub.email))) {
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
    const values = {
      unsubscribeUrl: deps.links.unsubscribe(sub.id),
      preferencesUrl: deps.links.preferences(sub.id),
      email: sub.email,
    };
    await deps.mailer.sendMail({
      from: config.mail.from,
      to: sub.email,
      subject: digest.subject,
      html: fillPlaceholders(digest.html, values),
      text: fillPlaceholders(digest.text, values),
      headers: {
        'List-Unsubscribe': `<${values.unsubscribeUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
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
