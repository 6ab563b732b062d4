import { isFrequency, type Frequency } from '../digests/frequency.js';

/*
 * Checking a subscriber's choice of frequency and topics, wherever it comes from (the subscribe
 * form, the preferences page, the admin, a CSV row, the command line), with one wording of
 * what is wrong.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** `value` as one of the frequencies the site offers (DIGEST_FREQUENCIES). */
export function checkFrequency(value: string, offered: readonly Frequency[]): Checked<Frequency> {
  const v = value.trim().toLowerCase();
  if (isFrequency(v) && offered.includes(v)) return { ok: true, value: v };
  return {
    ok: false,
    message: `${isFrequency(v) ? 'this site does not offer' : 'unknown frequency'} "${value.trim()}": choose ${offered.join(', ')}`,
  };
}

/** Splits a list of topic names (`,` on the command line, `;` in CSV), dropping empty items. */
export function splitTopicNames(s: string, separator: ',' | ';'): string[] {
  return s
    .split(separator)
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

/**
 * `names` as topics that exist, spelt as the topic store spells them (compared without case),
 * each once, in the order given. Any unknown name fails the whole choice, naming it.
 */
export function checkTopics(
  names: readonly string[],
  existing: readonly { name: string }[],
): Checked<string[]> {
  const byKey = new Map(existing.map((t) => [t.name.toLowerCase(), t.name]));
  const out: string[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const name = byKey.get(n.trim().toLowerCase());
    if (!name) unknown.push(n.trim());
    else if (!out.includes(name)) out.push(name);
  }
  if (unknown.length === 0) return { ok: true, value: out };
  const list = unknown.map((n) => `"${n}"`).join(', ');
  const choose = existing.length
    ? `choose among ${existing.map((t) => t.name).join(', ')}`
    : 'this site has no topics';
  return {
    ok: false,
    message: `unknown ${unknown.length === 1 ? 'topic' : 'topics'} ${list}: ${choose}`,
  };
}

/** A frequency and topics as an admin, a CSV row or the command line give them. */
export interface ChoiceInput {
  /** '' or null: back to the site default; undefined: unchanged. */
  frequency?: string | null;
  /** Names (a string is split on `separator`); '' , [] or null: every post; undefined: unchanged. */
  topics?: string | readonly string[] | null;
}

/** The checked patch for the store (`update`/`add`): null clears, undefined leaves as is. */
export interface ChoicePatch {
  frequency?: Frequency | null;
  topics?: string[] | null;
}

/** Checks a whole choice against the site's frequencies and the topics that exist. */
export function checkChoice(
  input: ChoiceInput,
  site: { frequencies: readonly Frequency[]; topics: readonly { name: string }[] },
  separator: ',' | ';' = ',',
): Checked<ChoicePatch> {
  const out: ChoicePatch = {};
  if (input.frequency === null || input.frequency?.trim() === '') out.frequency = null;
  else if (input.frequency !== undefined) {
    const f = checkFrequency(input.frequency, site.frequencies);
    if (!f.ok) return f;
    out.frequency = f.value;
  }
  if (input.topics === null) out.topics = null;
  else if (input.topics !== undefined) {
    const names =
      typeof input.topics === 'string'
        ? splitTopicNames(input.topics, separator)
        : input.topics.flatMap((t) => splitTopicNames(t, separator));
    const t = checkTopics(names, site.topics);
    if (!t.ok) return t;
    out.topics = t.value.length ? t.value : null;
  }
  return { ok: true, value: out };
}
