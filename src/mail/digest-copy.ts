import type { Links } from '../subscribers/links.js';
import type { Tokens } from '../subscribers/tokens.js';
import { prepareDigestMessage, type DigestRecipient } from './digest-message.js';
import { listIdFor } from './headers.js';
import type { DeliveryConfig } from '../subscribers/describe-delivery.js';
import { createRecipientValues, type RecipientSubscriber } from './recipient.js';
import type { MailTransport } from './transport.js';

/**
 * A built digest as a message: the one place that decides its headers (List-Id from the site
 * name, List-Unsubscribe and its mailto, VERP sender), used by the batch send and by the copies
 * sent outside it (welcome mail, test send), so all of them read the same to a receiver.
 */

export interface DigestMailConfig {
  mail: {
    from: string;
    fromAddress: string;
    bounceAddress: string;
    listUnsubscribeMailto?: string;
  };
  site: { name: string; publicUrl: string };
  /** For the footer's words: the frequencies' crons, DIGEST_TZ, DIGEST_LOCAL_TIME. */
  digest: DeliveryConfig;
}

export interface DigestContent {
  subject: string;
  html: string;
  text: string;
}

/** The digest prepared once for many recipients (see prepareDigestMessage). */
export function prepareDigest(
  digest: DigestContent,
  config: Pick<DigestMailConfig, 'mail' | 'site'>,
) {
  return prepareDigestMessage({
    subject: digest.subject,
    html: digest.html,
    text: digest.text,
    from: config.mail.from,
    fromAddress: config.mail.fromAddress,
    listId: listIdFor(config.site.name, config.mail.fromAddress),
    listName: config.site.name,
  });
}

/** Sends single copies of a digest through `transport.sendRaw` (signed like the batch's). */
export function createDigestCopies(
  deps: DigestMailConfig & {
    links: Pick<Links, 'recipient'>;
    tokens: Pick<Tokens, 'sign'>;
    transport: Pick<MailTransport, 'sendRaw'>;
  },
) {
  const valuesFor = createRecipientValues(deps);
  return {
    /** A subscriber's own copy: their working links, their VERP sender. */
    async toSubscriber(digest: DigestContent, sub: RecipientSubscriber) {
      const { recipient, envelopeFrom } = valuesFor(sub);
      const raw = prepareDigest(digest, deps).build(recipient);
      return deps.transport.sendRaw({ from: envelopeFrom, to: sub.email }, raw);
    },
    /** A copy with given recipient values (a test send to an address that is no subscriber). */
    async withValues(digest: DigestContent, recipient: DigestRecipient) {
      const raw = prepareDigest(digest, deps).build(recipient);
      return deps.transport.sendRaw({ from: deps.mail.bounceAddress, to: recipient.email }, raw);
    },
  };
}

export type DigestCopies = ReturnType<typeof createDigestCopies>;
