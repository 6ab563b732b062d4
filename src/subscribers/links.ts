import type { Tokens } from './tokens.js';

/** Confirmation links expire after 48 hours (issue 4). */
export const CONFIRM_TTL_SECONDS = 48 * 3600;
/** A preferences link that may download or erase data: emailed on request, valid a day. */
export const DATA_LINK_TTL_SECONDS = 24 * 3600;

/**
 * The public URLs the service sends in emails, all built from PUBLIC_URL. Tokens are base64url,
 * so the URLs are ASCII and need no further escaping (the send path depends on that).
 */
export function createLinks(deps: { publicUrl: string; tokens: Pick<Tokens, 'sign'> }) {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const unsubscribe = (id: number) =>
    `${base}/unsubscribe?token=${deps.tokens.sign('unsubscribe', id)}`;
  const preferences = (id: number) =>
    `${base}/preferences?token=${deps.tokens.sign('preferences', id)}`;
  const frequency = (id: number) => `${base}/frequency?token=${deps.tokens.sign('frequency', id)}`;
  return {
    confirm: (id: number, now?: Date) =>
      `${base}/confirm?token=${deps.tokens.sign('confirm', id, CONFIRM_TTL_SECONDS, now)}`,
    unsubscribe,
    preferences,
    /** The preferences link with an expiry: the only one that downloads or erases data. */
    dataLink: (id: number, now?: Date) =>
      `${base}/preferences?token=${deps.tokens.sign('preferences', id, DATA_LINK_TTL_SECONDS, now)}`,
    /**
     * The footer's "less often" / "more often" link, without its `&change=` (the template adds
     * it): it opens a page with one button, like unsubscribe, and changes only the frequency.
     */
    frequency,
    /** A recipient's personal links, as the digest's placeholders take them. */
    recipient: (id: number) => ({
      unsubscribeUrl: unsubscribe(id),
      preferencesUrl: preferences(id),
      frequencyUrl: frequency(id),
    }),
    archive: (date?: string) => (date ? `${base}/digests/${date}` : `${base}/digests`),
    adminLogin: () => `${base}/admin/login`,
  };
}

export type Links = ReturnType<typeof createLinks>;
