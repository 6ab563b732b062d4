import { createHmac } from 'node:crypto';
import { safeEqual } from './admin-auth.js';

/** A form stamp older than this is stale (the page was left open for days): not a person's. */
const MAX_AGE_MS = 24 * 3600_000;

/**
 * The time-to-submit check of the public form, next to the honeypot: the form carries the
 * time it was shown, signed (a key derived from SECRET), and a submit sooner than
 * `minSeconds` after it, or without a valid stamp, is a bot's. Cheap, and a person never
 * notices; scripts that load the form and wait get past it, as they get past any honeypot.
 */
export function createFormStamp(deps: { secret: string; minSeconds: number; now: () => Date }) {
  const key = createHmac('sha256', deps.secret).update('digest-form-stamp:v1').digest();
  const mac = (ms: string) => createHmac('sha256', key).update(ms).digest('base64url').slice(0, 22);
  return {
    /** The value of the form's hidden `ts` field. */
    issue(): string {
      const ms = String(deps.now().getTime());
      return `${ms}.${mac(ms)}`;
    },
    /** True when `value` is a genuine stamp shown at least `minSeconds` and at most a day ago. */
    passes(value: unknown): boolean {
      const m = typeof value === 'string' ? /^(\d{1,15})\.([A-Za-z0-9_-]{22})$/.exec(value) : null;
      if (!m || !safeEqual(m[2]!, mac(m[1]!))) return false;
      const age = deps.now().getTime() - Number(m[1]);
      return age >= deps.minSeconds * 1000 && age <= MAX_AGE_MS;
    },
  };
}
