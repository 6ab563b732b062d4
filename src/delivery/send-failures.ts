import type { DigestStore } from '../digests/digest-store.js';
import type { Logger } from '../log.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Ledger } from './ledger.js';
import type { classifySmtpError } from './smtp-errors.js';

export interface SendFailureDeps {
  digests: Pick<DigestStore, 'noteError'>;
  subscribers: Pick<SubscriberStore, 'setStatus' | 'suppress'>;
  ledger: Pick<Ledger, 'failed' | 'release'>;
  /** Names this process's claims in the ledger. */
  owner: string;
  log: Logger;
}

/**
 * Records an SMTP failure: final for 5xx (a 5.1.x also bounces the subscriber), final for a
 * 4xx on the job's last attempt, otherwise the claim is released for the job's retry.
 * Throttling never uses up an attempt (the job goes back via RateLimitError), so a 421 on
 * the last attempt is released too.
 */
export function createFailureRecorder(deps: SendFailureDeps) {
  const { ledger, log } = deps;
  // "<edition>:<kind>" of the SMTP errors this process has recorded as an edition's first.
  const noted = new Set<string>();

  /** Shown at once (send --wait, the dashboard), not only after the last attempt. */
  async function noteFirst(edition: string, c: ReturnType<typeof classifySmtpError>) {
    // One write per kind per digest per process, however many recipients fail.
    const seen = `${edition}:${c.kind}`;
    if (noted.has(seen)) return;
    noted.add(seen);
    await deps.digests.noteError(edition, c.kind, {
      code: c.code,
      message: c.message,
      at: new Date().toISOString(),
    });
  }

  return async function recordFailure(
    r: { edition: string; id: number; email: string },
    c: ReturnType<typeof classifySmtpError>,
    finalAttempt: boolean,
  ): Promise<'failed' | 'transient' | 'throttled'> {
    await noteFirst(r.edition, c);
    if (c.kind === 'bounce' || c.kind === 'permanent') {
      await ledger.failed(r.edition, r.id, c.code, c.kind);
      if (c.kind === 'bounce') {
        await deps.subscribers.setStatus(r.id, 'bounced');
        await deps.subscribers.suppress(r.email, 'bounced');
      }
      log.warn({ digest: r.edition, subscriber: r.id, code: c.code, kind: c.kind }, c.message);
      return 'failed';
    }
    if (finalAttempt && c.kind !== 'throttle') {
      await ledger.failed(r.edition, r.id, c.code, 'temporary');
      log.warn({ digest: r.edition, subscriber: r.id, code: c.code }, `gave up: ${c.message}`);
      return 'failed';
    }
    await ledger.release(r.edition, r.id, deps.owner, c.code);
    return c.kind === 'throttle' ? 'throttled' : 'transient';
  };
}
