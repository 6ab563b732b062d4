import type { Frequency } from '../../digests/frequency.js';
import { checkFrequency, checkTopics, splitTopicNames } from '../../subscribers/delivery-choice.js';
import type { DeliveryOptions, DeliveryPicked } from '../pages/delivery-fields.js';
import type { HttpContext } from '../http-context.js';

/** The frequency and topics as a form (repeated `topics` fields) or JSON (array or `a,b`) sends them. */
export interface DeliveryBody {
  frequency?: string | undefined;
  topics?: string | string[] | undefined;
}

export type DeliveryChoiceResult =
  | { ok: true; frequency?: Frequency; topics?: string[] }
  | { ok: false; message: string; picked: DeliveryPicked };

/** What the public forms offer: the site's frequencies and the topics that exist now. */
export async function deliveryOptions(ctx: HttpContext): Promise<DeliveryOptions> {
  const topics = await ctx.topics.list();
  return {
    frequencies: ctx.config.digest.frequencies,
    defaultFrequency: ctx.config.digest.defaultFrequency,
    topics: topics.map((t) => t.name),
  };
}

function topicNames(v: string | string[]): string[] {
  return (Array.isArray(v) ? v : [v]).flatMap((s) => splitTopicNames(s, ','));
}

/**
 * Reads a submitted frequency and topics against what the site offers. Absent fields are no
 * choice (undefined: the caller keeps what is stored, or the site default); a bad value fails
 * with the reason and what the reader picked, so the form comes back as they left it.
 */
export function readDeliveryChoice(
  body: DeliveryBody,
  options: DeliveryOptions,
): DeliveryChoiceResult {
  const picked: DeliveryPicked = {
    frequency: body.frequency?.slice(0, 20),
    topics: body.topics === undefined ? undefined : topicNames(body.topics).slice(0, 50),
  };
  let frequency: Frequency | undefined;
  if (body.frequency !== undefined && body.frequency.trim() !== '') {
    const f = checkFrequency(body.frequency, options.frequencies);
    if (!f.ok) return { ok: false, message: `Please check the frequency: ${f.message}.`, picked };
    frequency = f.value;
  }
  let topics: string[] | undefined;
  if (picked.topics !== undefined) {
    const t = checkTopics(
      picked.topics,
      options.topics.map((name) => ({ name })),
    );
    if (!t.ok) return { ok: false, message: `Please check the topics: ${t.message}.`, picked };
    topics = t.value;
  }
  return { ok: true, ...(frequency ? { frequency } : {}), ...(topics ? { topics } : {}) };
}

/** The site's frequencies and the topics that exist, for checking an admin's or a CSV's choice. */
export async function siteChoices(ctx: HttpContext) {
  return {
    frequencies: ctx.config.digest.frequencies,
    topics: await ctx.topics.list(),
  };
}
