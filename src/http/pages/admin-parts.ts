import { timeInWords } from '../../format-time.js';
import { html, type SafeHtml } from '../html.js';

/** Pieces every admin page uses. */
export const csrfField = (csrf: string) =>
  html`<input type="hidden" name="_csrf" value="${csrf}" />`;

export const notice = (text?: string) =>
  text ? html`<p class="notice" role="status">${text}</p>` : '';

export const alert = (text?: string) =>
  text ? html`<p class="error" role="alert">${text}</p>` : '';

/** A time in DIGEST_TZ, in words ("Mon 7 Dec, 09:00"), with the ISO instant as its datetime. */
export function when(iso: string | undefined, tz: string): SafeHtml | string {
  if (!iso) return '—';
  return html`<time datetime="${iso}">${timeInWords(iso, tz)}</time>`;
}
