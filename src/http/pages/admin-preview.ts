import type { Frequency } from '../../digests/frequency.js';
import type { PreviewOptions } from '../../digests/preview.js';
import { plural } from '../../format-time.js';
import { html, type SafeHtml } from '../html.js';
import { variantSearch } from '../routes/variant-query.js';
import { alert, csrfField, notice, when } from './admin-parts.js';
import { topicCheckbox } from './delivery-fields.js';
import { layout, type Site } from './layout.js';

/** What a preview may be switched to: the frequencies the site offers, the topics defined. */
export interface VariantChoices {
  frequencies: readonly Frequency[];
  defaultFrequency: Frequency;
  topics: readonly string[];
}

/**
 * The variant picker, a GET form: a frequency only where the site offers several, topics only
 * where any are defined (none ticked: every post). Nothing when there is no choice.
 */
function variantForm(date: string, choices: VariantChoices, v: PreviewOptions): SafeHtml | '' {
  const pickFrequency = choices.frequencies.length > 1;
  if (!pickFrequency && choices.topics.length === 0) return '';
  const f = v.frequency ?? choices.defaultFrequency;
  const chosen = new Set(v.topics ?? []);
  return html`<form method="get" action="/admin/digests/${date}/preview" data-variant>
    ${
      pickFrequency
        ? html`<label for="variant-frequency">Frequency</label>
            <select id="variant-frequency" name="frequency">
              ${choices.frequencies.map((x) => html`<option value="${x}" ${x === f ? 'selected' : ''}>${x}</option>`)}
            </select>`
        : ''
    }
    ${
      choices.topics.length
        ? html`<fieldset>
            <legend>A reader of these topics (none: every post)</legend>
            ${choices.topics.map((t) => topicCheckbox(t, chosen.has(t)))}
          </fieldset>`
        : ''
    }
    <button type="submit" class="secondary">Show this variant</button>
  </form>`;
}

/** The digest in a sandboxed frame at one width (`desktop` or `phone`, sized by the CSS). */
function previewFrame(src: string, width: 'desktop' | 'phone', caption: string): SafeHtml {
  return html`<figure>
    <figcaption>${caption}</figcaption>
    <iframe
      class="${width}"
      src="${src}"
      title="Digest preview, ${width} width"
      sandbox="allow-popups allow-popups-to-escape-sandbox"
    ></iframe>
  </figure>`;
}

/** The variant's frequency and topics, carried by the test send form. */
function variantFields(v: PreviewOptions): SafeHtml {
  return html`${v.frequency ? html`<input type="hidden" name="frequency" value="${v.frequency}" />` : ''}
  ${v.topics?.length ? html`<input type="hidden" name="topics" value="${v.topics.join(',')}" />` : ''}`;
}

/** What a preview page shows. */
export interface PreviewInput {
  csrf: string;
  tz: string;
  date: string;
  variant: PreviewOptions;
  choices: VariantChoices;
  subject: string;
  text: string;
  empty: boolean;
  /** Why it is empty, in one sentence, and the date worth trying instead. */
  emptyReason?: string;
  tryDate?: string;
  posts: number;
  /** Set when this is the stored digest as built; else it is rendered from posts now. */
  stored?: { builtAt: string; status: string };
  message?: string;
  error?: string;
}

/** Whether this is the stored digest as built or a render from the posts stored now. */
function originNote(input: PreviewInput): SafeHtml {
  return input.stored
    ? html`<p class="note" data-preview="stored">
        The stored digest, as built ${when(input.stored.builtAt, input.tz)}
        (${input.stored.status}).
      </p>`
    : html`<p class="note" data-preview="fresh">
        Not built yet: rendered from the posts stored now.
      </p>`;
}

/** An empty digest: why, and a link to the date worth trying. */
function emptyNote(input: PreviewInput, search: string): SafeHtml {
  return html`<p class="notice">
      ${input.emptyReason ?? 'This digest has no posts: nothing would be sent.'}
    </p>
    ${input.tryDate ? html`<p><a class="button secondary" href="/admin/digests/${input.tryDate}/preview${search}">Preview ${input.tryDate}</a></p>` : ''}`;
}

/** The digest at both widths, its text part, the test send and the way to send it to all. */
function previewContent(input: PreviewInput, src: string): SafeHtml {
  return html`<p><strong>Subject:</strong> ${input.subject} · ${plural(input.posts, 'post')}</p>
    <div class="frames">
      ${previewFrame(src, 'desktop', 'Desktop (660 px)')}
      ${previewFrame(src, 'phone', 'Phone (375 px)')}
    </div>
    <h2>Text part</h2>
    <pre class="text">${input.text}</pre>
    <h2>Send a test</h2>
    <form method="post" action="/admin/digests/${input.date}/test">
      ${csrfField(input.csrf)} ${variantFields(input.variant)}
      <label for="test-email">Send one copy to</label>
      <input id="test-email" name="email" type="email" required maxlength="254" />
      <button type="submit" class="secondary">Send test</button>
    </form>
    <p>
      <a class="button" href="/admin/trigger?date=${input.date}">Send to all subscribers…</a>
    </p>`;
}

/**
 * An edition's preview: the variant `variant` names (as `digest preview --frequency F --topics
 * a,b` renders it), a picker for another, desktop and phone frames, the text part and a test
 * send of the same variant.
 */
export function previewPage(site: Site, input: PreviewInput): string {
  const search = variantSearch(input.variant);
  const src = `/admin/api/digests/${input.date}/preview${search}`;
  return layout({
    site,
    title: `Preview ${input.date}`,
    admin: { csrf: input.csrf },
    body: html`<h1>Preview: ${input.date}</h1>
      ${notice(input.message)} ${alert(input.error)} ${originNote(input)}
      ${variantForm(input.date, input.choices, input.variant)}
      ${input.empty ? emptyNote(input, search) : previewContent(input, src)}`,
  });
}
