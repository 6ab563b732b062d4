import type { Config } from '../config.js';
import type { Frequency } from '../digests/frequency.js';
import { escapeHtml } from '../escape-html.js';
import type { DigestService } from '../digests/digest-service.js';
import type { Logger } from '../log.js';
import type { MailTransport } from '../mail/transport.js';
import type { Keys, RedisClient } from '../redis.js';
import { createDigestCopies } from '../mail/digest-copy.js';
import type { Renderer } from '../render/render-digest.js';
import { createConfirmationLimit } from './confirmation-limit.js';
import { CONFIRM_TTL_SECONDS, type Links } from './links.js';
import { createPendingExpiry } from './pending-expiry.js';
import type { Subscriber } from './subscriber.js';
import type { Consent, SubscriberStore } from './subscriber-store.js';
import type { Tokens } from './tokens.js';

/** A subscribe request for a normalised address; frequency and topics checked by the caller. */
export interface SubscribeRequest {
  email: string;
  tz?: string;
  /** Absent: the site's default (the form offered no choice). */
  frequency?: Frequency;
  /** Topic names that exist; absent: no choice offered; empty: every post. */
  topics?: string[];
  consent: Consent;
  /** The client's address as limits count it. */
  requester: string;
}

export type ConfirmOutcome =
  | { ok: true; subscriber: Subscriber; already: boolean }
  | {
      ok: false;
      code: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'SUBSCRIBER_BLOCKED' | 'TOKEN_SUPERSEDED';
    };

/** What the subscription flow needs: the stores, signing, mail, and its limits and clock. */
export interface SubscriptionDeps {
  config: Config;
  log: Pick<Logger, 'info' | 'warn'>;
  redis: RedisClient;
  keys: Keys;
  subscribers: Pick<
    SubscriberStore,
    'add' | 'get' | 'getByEmail' | 'setStatus' | 'update' | 'isSuppressed'
  >;
  tokens: Pick<Tokens, 'verify' | 'sign'>;
  links: Pick<Links, 'confirm' | 'recipient' | 'dataLink'>;
  mailer: Pick<MailTransport, 'sendMail' | 'sendRaw'>;
  renderer: Pick<Renderer, 'renderConfirm'>;
  digests: Pick<DigestService, 'list' | 'get'>;
  confirmations: { perAddress: number; perRequester: number };
  now: () => Date;
}

type ConfirmationLimit = ReturnType<typeof createConfirmationLimit>;

/**
 * The double opt-in flow: request (sends a confirmation), confirm, unsubscribe, resubscribe,
 * welcome. The public HTTP routes call it; it knows nothing of HTTP. It never tells the caller
 * what state an address was in, so the answer to a subscribe request cannot reveal it.
 */
export function createSubscription(deps: SubscriptionDeps) {
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
    ...deps.confirmations,
  });
  const pending = createPendingExpiry({ redis: deps.redis, keys: deps.keys });
  const check = (token: string) => checkConfirmToken(deps, token);

  return {
    /**
     * Handles a subscribe request for a normalised address: resolves once it is stored (a
     * Redis failure rejects, and the caller says "try again"), with a `send` to run after
     * the answer. New or pending: a confirmation email. Unsubscribed: a fresh confirmation
     * (the status changes only when it is used). Confirmed, bounced, complained or
     * suppressed: nothing. `requester` is the client's address as limits count it.
     */
    async request(input: SubscribeRequest): Promise<{ send: () => Promise<void> }> {
      const sub = await storeRequest(deps, { limit, pending }, input);
      return { send: async () => (sub ? sendConfirmation(deps, sub) : undefined) };
    },

    /** Deletes pending subscribers 7 days after their last request (a bounded sweep). */
    expirePending: () => pending.sweep(deps.now()),

    /** Checks a confirmation token (the page the link opens), changing nothing. */
    check,

    /** Uses a confirmation token. A second use is harmless; a bad token changes nothing. */
    async confirm(token: string): Promise<ConfirmOutcome> {
      const out = await check(token);
      if (!out.ok || out.already) return out;
      const sub = out.subscriber;
      await subscribers.setStatus(sub.id, 'confirmed');
      return { ok: true, subscriber: { ...sub, status: 'confirmed' }, already: false };
    },

    /** Sends the latest sent digest to a newly confirmed subscriber (WELCOME_EMAIL). */
    async sendWelcome(sub: Subscriber): Promise<void> {
      const latest = (await deps.digests.list(20)).find(
        (d) => d.status === 'sent' || d.status === 'sent_with_failures',
      );
      const digest = latest && (await deps.digests.get(latest.id));
      if (!digest) return;
      // The same message the batch sent, with this subscriber's links and headers.
      await copies.toSubscriber(digest, sub);
    },

    /**
     * Emails the subscriber a preferences link valid for a day: the one link that can
     * download or erase their data (links in digests cannot, since digests get forwarded).
     * Bounded by the same daily limit as confirmations.
     */
    async sendDataLink(sub: Subscriber, requester: string): Promise<void> {
      if (!(await limit.take(sub.email, requester))) return;
      await sendDataLinkMail(deps, sub);
    },

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

async function sendConfirmation(deps: SubscriptionDeps, sub: Subscriber): Promise<void> {
  const confirmUrl = deps.links.confirm(sub.id, deps.now());
  const { subject, html, text } = await deps.renderer.renderConfirm({
    confirmUrl,
    email: sub.email,
  });
  await deps.mailer.sendMail({ from: deps.config.mail.from, to: sub.email, subject, html, text });
}

/**
 * Stores a subscribe request; returns the subscriber to send a confirmation to, if any.
 * The confirmation limit is taken first, whatever the address's state, so every request
 * writes: a Redis that refuses writes fails them all alike (no answer tells states apart).
 */
async function storeRequest(
  deps: SubscriptionDeps,
  { limit, pending }: { limit: ConfirmationLimit; pending: ReturnType<typeof createPendingExpiry> },
  input: SubscribeRequest,
): Promise<Subscriber | undefined> {
  const { subscribers } = deps;
  const allowed = await limit.take(input.email, input.requester);
  if (await subscribers.isSuppressed(input.email)) return undefined;
  let sub = await subscribers.getByEmail(input.email);
  if (!sub) {
    const added = await subscribers.add({
      email: input.email,
      tz: input.tz,
      frequency: input.frequency,
      topics: input.topics,
      status: 'pending',
      consent: input.consent,
    });
    // Two requests at once: the second finds the first's subscriber; one confirmation suffices.
    sub = added.subscriber;
    if (!added.created && sub.status !== 'pending') return undefined;
  } else if (sub.status === 'pending' || sub.status === 'unsubscribed') {
    await subscribers.update(sub.id, {
      consent: input.consent,
      ...(input.tz ? { tz: input.tz } : {}),
      // What the form offered and they chose replaces an earlier request's choice.
      ...(input.frequency ? { frequency: input.frequency } : {}),
      ...(input.topics ? { topics: input.topics } : {}),
    });
  } else {
    return undefined;
  }
  if (sub.status === 'pending') await pending.noteRequest(sub.id, deps.now());
  if (allowed) return sub;
  deps.log.info({ subscriber: sub.id }, 'confirmation not sent: daily limit reached');
  return undefined;
}

/** Checks a confirmation token against its subscriber without changing anything. */
async function checkConfirmToken(deps: SubscriptionDeps, token: string): Promise<ConfirmOutcome> {
  const v = deps.tokens.verify('confirm', token, deps.now());
  if (!v.ok) return v;
  const sub = await deps.subscribers.get(v.subscriberId);
  if (!sub) return { ok: false, code: 'TOKEN_INVALID' };
  if (sub.status === 'confirmed') return { ok: true, subscriber: sub, already: true };
  if (sub.status !== 'pending' && sub.status !== 'unsubscribed')
    return { ok: false, code: 'SUBSCRIBER_BLOCKED' };
  // A link issued before the address was unsubscribed must not subscribe it again.
  const issuedAt = v.expiresAt - CONFIRM_TTL_SECONDS;
  if (sub.status === 'unsubscribed' && Math.floor(Date.parse(sub.updatedAt) / 1000) > issuedAt)
    return { ok: false, code: 'TOKEN_SUPERSEDED' };
  return { ok: true, subscriber: sub, already: false };
}

/** The email with the data link (valid for 24 hours); the caller has taken the limit. */
async function sendDataLinkMail(deps: SubscriptionDeps, sub: Subscriber): Promise<void> {
  const { config } = deps;
  const url = deps.links.dataLink(sub.id, deps.now());
  const lines = [
    `Someone (we hope you) asked to download or delete the data ${config.site.name} keeps about ${sub.email}.`,
    `This link does it; it works for 24 hours: ${url}`,
    'Did not ask? Ignore this email: nothing changes.',
  ];
  await deps.mailer.sendMail({
    from: config.mail.from,
    to: sub.email,
    subject: `Your data at ${config.site.name}`,
    text: lines.join('\n\n'),
    html: lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n'),
  });
}

export type Subscription = ReturnType<typeof createSubscription>;
