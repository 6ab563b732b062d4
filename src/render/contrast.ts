/**
 * WCAG 2.x contrast (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio) for the digest's colours:
 * the dark-mode link colour is derived from ACCENT_COLOR so that any accent stays readable.
 */

/** Background of a card in dark mode (templates/partials/head.mjml). */
export const DARK_CARD_BACKGROUND = '#27272a';
/** WCAG AA for normal text. */
export const AA_RATIO = 4.5;

function channels(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Relative luminance of a `#rrggbb` colour. */
export function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The contrast ratio of two `#rrggbb` colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * `color` mixed with white in small steps until it reaches `min` against `background` (a light
 * text colour on a dark background); `color` itself when it already does.
 */
export function lightenUntilReadable(color: string, background: string, min = AA_RATIO): string {
  const [r, g, b] = channels(color);
  for (let step = 0; step <= 20; step++) {
    const t = step / 20;
    const mixed = [r, g, b].map((c) => Math.round(c + (255 - c) * t));
    const hex = `#${mixed.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
    if (contrastRatio(hex, background) >= min) return hex;
  }
  return '#ffffff';
}
