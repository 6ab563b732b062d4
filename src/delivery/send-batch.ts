import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { DigestStore, DigestSummary } from '../digests/digest-store.js';
import { EMPTY_VARIANT, type Variants } from '../digests/variants.js';
import type { DigestMailConfig } from '../mail/digest-copy.js';
import {
  createRecipientValues,
  type RecipientSubscriber,
  type RecipientValues,
} from '../mail/recipient.js';
import type { MailTransport } from '../mail/transport.js';
import type { PostStore } from '../feeds/post-store.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Links } from '../subscribers/links.js';
import type { Tokens } from '../subscribers/tokens.js';
import { createClaimEntries, type ClaimEntryDeps } from './claim-entries.js';
import { createEditionCache, type Prepared } from './edition-cache.js';
import { createGroupCommit } from './group-commit.js';
import type { Ledger } from './ledger.js';
import type { SendRateLimiter } from './rate-limit.js';
import { createFailureRecorder } from './send-failures.js';
import { classifySmtpError } from './smtp-errors.js';

export { DigestNotSendableError } from './edition-cache.js';

export interface SendBatchDeps extends DigestMailConfig {
  digests: Pick<DigestStore, 'get' | 'getSummary' | 'completeIfDone' | 'noteError'>;
  subscribers: Pick<SubscriberStore, 'sendInfo' | 'setStatus' | 'suppress'>;
  /** The arrival seq at an instant (a reader's confirmation). */
  posts: Pick<PostStore, 'seqAt'>;
  /** Each recipient's post set and its content, rendered once per distinct set. */
  variants: Pick<Variants, 'variantFor' | 'content' | 'stored'>;
  /** The footer's words, DIGEST_DEFAULT_FREQUENCY (read at send time) and DIGEST_MIN_POSTS. */
  digest: DigestMailConfig['digest'] & ClaimEntryDeps['digest'];
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
  /** Not eligible at send time, or a stale cursor. */
  skipped: number;
  /** Fewer posts than DIGEST_MIN_POSTS: not sent, rolled over. */
  rolled: number;
  /** Already final in the ledger (a retry or a resumed fan-out). */
  done: number;
  /** Claimed by another sender whose lease is still running. */
  held: number;
  /** 4xx or network errors: released, to be retried with the job. */
  transient: number;
  /** 421 / 4.7.x: the server asks us to slow down. */
  throttled: number;
}

/** A claimed recipient and the prepared message of their variant. */
type Work = { sub: RecipientSubscriber; message: Prepared };

/**
 * Sends one batch of an edition: checks each subscriber's status now (README guarantee 4),
 * finds their post set's variant from their cursor and topics (claim-entries.ts), claims them
 * in the ledger before SMTP while moving their cursor (README guarantees 2 and 3), fills the
 * per-recipient values into the variant's message prepared once per process (edition-cache.ts:
 * no MJML, no template engine here), and records each reply (send-failures.ts).
 */
export function createBatchSender(deps: SendBatchDeps) {
  const { ledger } = deps;
  const cache = createEditionCache(deps);
  const entriesFor = createClaimEntries({ ...deps, cache });
  const sending = {
    ...deps,
    valuesFor: createRecipientValues(deps),
    recordFailure: createFailureRecorder(deps),
  };

  /** Claims `ids` in the ledger; the claimed ones with their messages, the rest counted. */
  async function claim(d: DigestSummary, ids: number[], out: BatchOutcome): Promise<Work[]> {
    const infos = await deps.subscribers.sendInfo(ids);
    const entries = await entriesFor(d, infos, ids);
    const claims = await ledger.claim(d.id, deps.owner, d.seqTo, entries);
    const work: Work[] = [];
    for (const [i, c] of claims.entries()) {
      if (c.result !== 'claimed') {
        out[c.result === 'stale' ? 'skipped' : c.result]++;
        continue;
      }
      // '' : claimed before variants were recorded (an earlier version's edition).
      const variant = c.variant || d.variant!;
      if (variant === EMPTY_VARIANT) throw new Error(`edition ${d.id}: claim with no posts`);
      work.push({ sub: infos[i]!, message: await cache.message(d, variant) });
    }
    return work;
  }

  return {
    /**
     * `finalAttempt`: transient failures become final failures instead of being released for
     * the job's next attempt.
     */
    async send(editionId: string, ids: number[], finalAttempt: boolean): Promise<BatchOutcome> {
      const d = await cache.edition(editionId);
      const out: BatchOutcome = {
        sent: 0,
        failed: 0,
        skipped: 0,
        rolled: 0,
        done: 0,
        held: 0,
        transient: 0,
        throttled: 0,
      };
      const work = await claim(d, ids, out);
      await deliver(sending, d.id, work, finalAttempt, out);
      await deps.digests.completeIfDone(d.id, new Date());
      if (deps.metrics) countDeliveries(deps.metrics, out);
      return out;
    },
  };
}

export type BatchSender = ReturnType<typeof createBatchSender>;

/** Sends the claimed `work` over SMTP, `parallel` at once, counting each reply in `out`. */
async function deliver(
  deps: SendBatchDeps & {
    valuesFor: RecipientValues;
    recordFailure: ReturnType<typeof createFailureRecorder>;
  },
  date: string,
  work: Work[],
  finalAttempt: boolean,
  out: BatchOutcome,
) {
  const { ledger, log, valuesFor, recordFailure } = deps;
  const sentRecords = createGroupCommit((items: { id: number; code: number }[]) =>
    ledger.sentMany(date, items),
  );
  const sendOne = async ({ sub, message }: Work) => {
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
      out[await recordFailure({ edition: date, id, email }, c, finalAttempt)]++;
      return;
    }
    deps.metrics?.observeSmtpReply((performance.now() - started) / 1000, code);
    // Outside the SMTP try: a ledger write that fails after a 250 must not be mistaken for a
    // transient SMTP failure and resent. The claim stays; this is the documented crash window.
    await sentRecords.add({ id, code });
    out.sent++;
  };
  await forEachLimit(work, deps.parallel, sendOne);
}

/** A batch's results, for /metrics. */
function countDeliveries(metrics: Pick<Metrics, 'recordDelivery'>, out: BatchOutcome) {
  for (const result of ['sent', 'failed', 'skipped', 'rolled'] as const)
    metrics.recordDelivery(result, out[result]);
  metrics.recordDelivery('retried', out.transient);
  metrics.recordDelivery('throttled', out.throttled);
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
