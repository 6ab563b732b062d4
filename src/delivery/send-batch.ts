import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { DigestStore } from '../digests/digest-store.js';
import { prepareDigest, type DigestMailConfig } from '../mail/digest-copy.js';
import { createRecipientValues, type RecipientSubscriber } from '../mail/recipient.js';
import type { MailTransport } from '../mail/transport.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Links } from '../subscribers/links.js';
import type { Tokens } from '../subscribers/tokens.js';
import { createGroupCommit } from './group-commit.js';
import type { Ledger } from './ledger.js';
import type { SendRateLimiter } from './rate-limit.js';
import { classifySmtpError } from './smtp-errors.js';

export interface SendBatchDeps extends DigestMailConfig {
  digests: Pick<DigestStore, 'get' | 'completeIfDone' | 'noteError'>;
  subscribers: Pick<SubscriberStore, 'sendInfo' | 'setStatus' | 'suppress'>;
  ledger: Ledger;
  transport: Pick<MailTransport, 'sendRaw'>;
  /** Each recipient's unsubscribe and preferences links (src/subscribers/links.ts). */
  links: Pick<Links, 'recipient'>;
  /** Signs the VERP bounce token and the mailto's unsubscribe token (src/mail/recipient.ts). */
  tokens: Pick<Tokens, 'sign'>;
  /** Recipients of one batch handed to the SMTP pool at once. */
  parallel: number;
  /** Delivery results and SMTP reply times, for /metrics. */
  metrics?: Pick<Metrics, 'recordDelivery' | 'observeSmtpReply'>;
  /** Names this process's claims in the ledger. */
  owner: string;
  /** SEND_RATE: each message waits for its slot before SMTP. Absent: no limit, no cost. */
  rate?: Pick<SendRateLimiter, 'acquire'>;
  log: Logger;
}

export interface BatchOutcome {
  sent: number;
  failed: number;
  skipped: number;
  /** Already final in the ledger (a retry or a resumed fan-out). */
  done: number;
  /** Claimed by another sender whose lease is still running. */
  held: number;
  /** 4xx or network errors: released, to be retried with the job. */
  transient: number;
  /** 421 / 4.7.x: the server asks us to slow down. */
  throttled: number;
}

type Prepared = ReturnType<typeof prepareDigest>;

/**
 * Sends one batch of a digest: checks each subscriber's status now (README guarantee 4), claims them
 * in the ledger before SMTP (README guarantee 2), fills the per-recipient values into the message
 * prepared once per digest (no MJML, no template engine here), and records each reply.
 */
export function createBatchSender(deps: SendBatchDeps) {
  const { ledger, log } = deps;
  // One prepared message per digest per process: digests never change once built.
  const prepared = new Map<string, Promise<Prepared | undefined>>();
  // "<date>:<kind>" of the SMTP errors this process has recorded as a digest's first.
  const noted = new Set<string>();

  function load(date: string): Promise<Prepared | undefined> {
    let p = prepared.get(date);
    if (!p) {
      p = deps.digests.get(date).then((d) => (d && d.html ? prepareDigest(d, deps) : undefined));
      p.catch(() => prepared.delete(date));
      prepared.set(date, p);
      if (prepared.size > 4) prepared.delete(prepared.keys().next().value!);
    }
    return p;
  }

  /**
   * Records an SMTP failure: final for 5xx (a 5.1.x also bounces the subscriber), final for a
   * 4xx on the job's last attempt, otherwise the claim is released for the job's retry.
   * Throttling never uses up an attempt (the job goes back via RateLimitError), so a 421 on
   * the last attempt is released too.
   */
  async function recordFailure(
    r: { date: string; id: number; email: string },
    c: ReturnType<typeof classifySmtpError>,
    finalAttempt: boolean,
  ): Promise<'failed' | 'transient' | 'throttled'> {
    // Shown at once (send --wait, the dashboard), not only after the last attempt; one write
    // per kind per digest per process, however many recipients fail.
    const seen = `${r.date}:${c.kind}`;
    if (!noted.has(seen)) {
      noted.add(seen);
      await deps.digests.noteError(r.date, c.kind, {
        code: c.code,
        message: c.message,
        at: new Date().toISOString(),
      });
    }
    if (c.kind === 'bounce' || c.kind === 'permanent') {
      await ledger.failed(r.date, r.id, c.code, c.kind);
      if (c.kind === 'bounce') {
        await deps.subscribers.setStatus(r.id, 'bounced');
        await deps.subscribers.suppress(r.email, 'bounced');
      }
      log.warn({ digest: r.date, subscriber: r.id, code: c.code, kind: c.kind }, c.message);
      return 'failed';
    }
    if (finalAttempt && c.kind !== 'throttle') {
      await ledger.failed(r.date, r.id, c.code, 'temporary');
      log.warn({ digest: r.date, subscriber: r.id, code: c.code }, `gave up: ${c.message}`);
      return 'failed';
    }
    await ledger.release(r.date, r.id, deps.owner, c.code);
    return c.kind === 'throttle' ? 'throttled' : 'transient';
  }

  const valuesFor = createRecipientValues({
    links: deps.links,
    tokens: deps.tokens,
    bounceAddress: deps.mail.bounceAddress,
    listUnsubscribeMailto: deps.mail.listUnsubscribeMailto,
    digest: deps.digest,
  });

  return {
    /**
     * `finalAttempt`: transient failures become final failures instead of being released for
     * the job's next attempt.
     */
    async send(date: string, ids: number[], finalAttempt: boolean): Promise<BatchOutcome> {
      const message = await load(date);
      if (!message) throw new DigestNotSendableError(date);
      const out: BatchOutcome = {
        sent: 0,
        failed: 0,
        skipped: 0,
        done: 0,
        held: 0,
        transient: 0,
        throttled: 0,
      };

      const infos = await deps.subscribers.sendInfo(ids);
      const entries = ids.map((id, i) => {
        const s = infos[i];
        return { id, eligible: s !== undefined && s.status === 'confirmed' && !s.paused };
      });
      const claims = await ledger.claim(date, deps.owner, entries);
      const work: RecipientSubscriber[] = [];
      claims.forEach((c, i) => {
        if (c === 'claimed') work.push(infos[i]!);
        else out[c === 'skipped' ? 'skipped' : c === 'held' ? 'held' : 'done']++;
      });

      const sentRecords = createGroupCommit((items: { id: number; code: number }[]) =>
        ledger.sentMany(date, items),
      );
      const sendOne = async (sub: RecipientSubscriber) => {
        const { id, email } = sub;
        let raw: Buffer;
        const { recipient, envelopeFrom } = valuesFor(sub);
        try {
          raw = message.build(recipient);
        } catch (err) {
          // An address the message cannot carry (stored before validation was strict).
          await ledger.failed(date, id, undefined, 'permanent');
          out.failed++;
          log.warn({ digest: date, subscriber: id, err }, 'message could not be built');
          return;
        }
        if (deps.rate) await deps.rate.acquire();
        const started = performance.now();
        let code: number;
        try {
          code = (await deps.transport.sendRaw({ from: envelopeFrom, to: email }, raw)).code;
        } catch (err) {
          const c = classifySmtpError(err);
          deps.metrics?.observeSmtpReply((performance.now() - started) / 1000, c.code);
          out[await recordFailure({ date, id, email }, c, finalAttempt)]++;
          return;
        }
        deps.metrics?.observeSmtpReply((performance.now() - started) / 1000, code);
        // Outside the SMTP try: a ledger write that fails after a 250 must not be mistaken for a
        // transient SMTP failure and resent. The claim stays; this is the documented crash window.
        await sentRecords.add({ id, code });
        out.sent++;
      };
      await forEachLimit(work, deps.parallel, sendOne);
      await deps.digests.completeIfDone(date, new Date());
      if (deps.metrics) {
        for (const result of ['sent', 'failed', 'skipped'] as const)
          deps.metrics.recordDelivery(result, out[result]);
        deps.metrics.recordDelivery('retried', out.transient);
        deps.metrics.recordDelivery('throttled', out.throttled);
      }
      return out;
    },
  };
}

export type BatchSender = ReturnType<typeof createBatchSender>;

/** A send job for a digest that is not built: the worker fails the job for good. */
export class DigestNotSendableError extends AppError {
  constructor(date: string) {
    super('DIGEST_NOT_SENDABLE', `digest ${date} is not built or has no content`, 500);
    this.name = 'DigestNotSendableError';
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
