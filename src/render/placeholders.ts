/**
 * Per-recipient values in a rendered digest. MJML runs once per digest (README guarantee 5),
 * so the rendered HTML and text carry these markers, and the send path fills them in for each
 * recipient by splitting on them once and joining prepared pieces.
 *
 * Markers are plain ASCII that neither MJML, the template engine nor quoted-printable changes.
 * Feed data can never produce one: `neutralisePlaceholders` breaks any `%%` in feed strings.
 */
export const PLACEHOLDERS = {
  unsubscribeUrl: '%%UNSUBSCRIBE_URL%%',
  preferencesUrl: '%%PREFERENCES_URL%%',
  email: '%%EMAIL%%',
  /** What the recipient gets, in words ("weekly, Mondays at 09:00 Asia/Tokyo; topics: Go"). */
  delivery: '%%DELIVERY%%',
  /** Their "less often" / "more often" link, without `&change=` (src/subscribers/links.ts). */
  frequencyUrl: '%%FREQUENCY_URL%%',
} as const;

export type PlaceholderName = keyof typeof PLACEHOLDERS;
/** The delivery words and frequency link are filled wherever a subscriber is known ('' elsewhere). */
export type RecipientValues = Record<
  Exclude<PlaceholderName, 'delivery' | 'frequencyUrl'>,
  string
> &
  Partial<Record<'delivery' | 'frequencyUrl', string>>;

const ALL = Object.values(PLACEHOLDERS);
const SPLIT = new RegExp(`(${ALL.map((p) => p.replace(/%/g, '%')).join('|')})`);

/** Breaks any `%%` in a string from a feed or a form so it cannot become a placeholder. */
export function neutralisePlaceholders(s: string): string {
  return s.replace(/%%/g, '%\u200b%');
}

/** Splits a rendered template into literal pieces and placeholder names, in order. */
export function splitOnPlaceholders(s: string): (string | { name: PlaceholderName })[] {
  const byMarker = new Map(Object.entries(PLACEHOLDERS).map(([k, v]) => [v, k as PlaceholderName]));
  return s
    .split(SPLIT)
    .filter((piece) => piece !== '')
    .map((piece) => {
      const name = byMarker.get(piece as (typeof ALL)[number]);
      return name ? { name } : piece;
    });
}

/** Fills placeholders by plain replacement (previews, test sends; not the fast path). */
export function fillPlaceholders(s: string, values: RecipientValues): string {
  return splitOnPlaceholders(s)
    .map((piece) => (typeof piece === 'string' ? piece : (values[piece.name] ?? '')))
    .join('');
}
