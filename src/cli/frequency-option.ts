import type { Config } from '../config.js';
import { isFrequency, type Frequency } from '../digests/frequency.js';
import { ValidationError } from '../errors.js';

/**
 * A `--frequency` value: one of those the site offers (DIGEST_FREQUENCIES); absent, undefined
 * (each command says what that means). Refused with FREQUENCY_INVALID, naming the offered ones.
 */
export function frequencyOption(
  digest: Pick<Config['digest'], 'frequencies'>,
  v: string | undefined,
): Frequency | undefined {
  if (v === undefined) return undefined;
  if (!isFrequency(v) || !digest.frequencies.includes(v))
    throw new ValidationError(
      'FREQUENCY_INVALID',
      `--frequency "${v}" is not one this site offers (${digest.frequencies.join(', ')})`,
    );
  return v;
}
