import {
  createDeliveryWords,
  type DeliveryChoice,
  type DeliveryConfig,
} from '../subscribers/describe-delivery.js';
import type { Links } from '../subscribers/links.js';
import type { Tokens } from '../subscribers/tokens.js';
import type { DigestRecipient } from './digest-message.js';

/**
 * A subscriber's values in one copy of a digest (the batch send, welcome mails and test sends
 * all take them from here, so every copy carries the same working links and headers):
 * - the unsubscribe, preferences and frequency links (src/subscribers/links.ts), and what they
 *   get in words (describe-delivery.ts, memoised: few distinct choices among many recipients);
 * - with LIST_UNSUBSCRIBE_MAILTO, `local+<unsubscribe token>@domain`, so a mail to it names the
 *   subscriber without trusting its From (`digest bounces import` reads it);
 * - the VERP envelope sender `bounces+<bounce token>@domain` (BOUNCE_ADDRESS), whose token also
 *   sits in the Message-ID: a bounce or complaint is trusted only when it carries one
 *   (README "Bounces and complaints").
 */
export function createRecipientValues(deps: {
  links: Pick<Links, 'recipient'>;
  tokens: Pick<Tokens, 'sign'>;
  /** BOUNCE_ADDRESS and LIST_UNSUBSCRIBE_MAILTO. */
  mail: { bounceAddress: string; listUnsubscribeMailto?: string | undefined };
  digest: DeliveryConfig;
}) {
  const words = createDeliveryWords(deps.digest);
  const { bounceAddress, listUnsubscribeMailto } = deps.mail;
  return (sub: RecipientSubscriber): { recipient: DigestRecipient; envelopeFrom: string } => {
    const { id, email } = sub;
    const bounce = deps.tokens.sign('bounce', id);
    return {
      recipient: {
        email,
        ...deps.links.recipient(id),
        delivery: words(sub),
        unsubscribeMailto: listUnsubscribeMailto
          ? plusAddress(listUnsubscribeMailto, deps.tokens.sign('unsubscribe', id))
          : undefined,
        bounceToken: bounce,
      },
      envelopeFrom: plusAddress(bounceAddress, bounce),
    };
  };
}

export type RecipientValues = ReturnType<typeof createRecipientValues>;

/** What of a subscriber their copy needs: id, address, and their choice for the words. */
export type RecipientSubscriber = { id: number; email: string } & DeliveryChoice;

/** `local@domain` + tag → `local+tag@domain` (subaddressing, RFC 5233). */
export function plusAddress(address: string, tag: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, at)}+${tag}${address.slice(at)}`;
}

/**
 * The tag of a `local+tag@domain` address whose local part (before the `+`) is `local`'s, or
 * undefined. Local parts compare case-insensitively, as receivers treat them.
 */
export function tagOf(address: string, base: string): string | undefined {
  const at = address.lastIndexOf('@');
  const baseAt = base.lastIndexOf('@');
  if (at < 0 || address.slice(at).toLowerCase() !== base.slice(baseAt).toLowerCase())
    return undefined;
  const local = address.slice(0, at);
  const prefix = `${base.slice(0, baseAt)}+`;
  return local.toLowerCase().startsWith(prefix.toLowerCase())
    ? local.slice(prefix.length)
    : undefined;
}
