import type { Frequency } from '../../digests/frequency.js';
import { html, type SafeHtml } from '../html.js';

/** What a form may offer a reader: the site's frequencies and the topics an admin defined. */
export interface DeliveryOptions {
  frequencies: readonly Frequency[];
  defaultFrequency: Frequency;
  /** Topic names, as the topic store spells them. */
  topics: readonly string[];
}

/** What the reader picked (or typed, when the form comes back with an error). */
export interface DeliveryPicked {
  frequency?: string;
  topics?: readonly string[];
}

const FREQUENCY_WORDS: Record<Frequency, string> = {
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
};

/**
 * The frequency and topic fields of a form: a frequency choice only when the site offers more
 * than one, topic checkboxes only when more than one topic exists (one topic is everything).
 * `idPrefix` keeps ids unique when a page has several forms. The topics fieldset always sends
 * `topics` (an empty hidden one first), so ticking none is a choice the server sees.
 */
export function deliveryFields(
  options: DeliveryOptions,
  picked: DeliveryPicked,
  idPrefix = '',
): SafeHtml | string {
  const parts: SafeHtml[] = [];
  if (options.frequencies.length > 1) {
    const chosen = picked.frequency ?? options.defaultFrequency;
    parts.push(
      html`<fieldset class="choices" id="${idPrefix}frequency">
        <legend>How often</legend>
        ${options.frequencies.map(
          (f) =>
            html`<label
              ><input type="radio" name="frequency" value="${f}" ${f === chosen ? 'checked' : ''} />
              ${FREQUENCY_WORDS[f]}</label
            >`,
        )}
      </fieldset>`,
    );
  }
  if (options.topics.length > 1) {
    const chosen = new Set((picked.topics ?? []).map((t) => t.toLowerCase()));
    parts.push(
      html`<fieldset class="choices" id="${idPrefix}topics">
        <legend>Topics <span class="note">(none ticked: every post)</span></legend>
        <input type="hidden" name="topics" value="" />
        ${options.topics.map((t) => topicCheckbox(t, chosen.has(t.toLowerCase())))}
      </fieldset>`,
    );
  }
  return parts.length ? html`${parts}` : '';
}

/** One topic's checkbox, named `topics` (the subscribe form, preferences and admin preview). */
export function topicCheckbox(topic: string, checked: boolean): SafeHtml {
  return html`<label
    ><input type="checkbox" name="topics" value="${topic}" ${checked ? 'checked' : ''} />
    ${topic}</label
  >`;
}
