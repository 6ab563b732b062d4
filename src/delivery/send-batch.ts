import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { isBuilt } from '../digests/digest.js';
import type { DigestStore, DigestSummary } from '../digests/digest-store.js';
import type { Frequency } from '../digests/frequency.js';
import { EMPTY_VARIANT, type Variant, type Variants } from '../digests/variants.js';
import { prepareDigest, type DigestMailConfig } from '../mail/digest-copy.js';
import { createRecipientValues, type RecipientSubscriber } from '../mail/recipient.js';
import type { MailTransport } from '../mail/transport.js';
import type { PostStore } from '../feeds/post-store.js';
import type { SendInfo, SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Links } from '../subscribers/links.js';
import type { Tokens } from '../subscribers/tokens.js';
import { createGroupCommit } from './group-commit.js';
import type { ClaimEntry, Ledger } from './ledger.js';
import type { SendRateLimiter } from './rate-limit.js';
import { classifySmtpError } from './smtp-errors.js';

export interface SendBatchDeps extends DigestMailConfig {
  digests: Pick<DigestStore, 'get' | 'getSummary' | 'completeIfDone' | 'noteError'>;
  subscribers: Pick<SubscriberStore, 'sendInfo' | 'setStatus' | 'suppress'>;
  /** The arrival seq at an instant (a reader's confirmation). */
  posts: Pick<PostStore, 'seqAt'>;
  /** Each recipient's post set and its content, rendered once per distinct set. */
  variants: Pick<Variants, 'variantFor' | 'content' | 'stored'>;
  /** DIGEST_DEFAULT_FREQUENCY: the frequency of a subscriber who chose none, read at send time. */
  defaultFrequency: Frequency;
  /** DIGEST_MIN_POSTS (at least 1): a smaller set is not sent, its posts roll over. */
  minPosts: number;
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

type Prepared = ReturnType<typeof prepareDigest>;

/**
 * Where a rolled-over reader with no cursor stands, so the posts roll over to their next
 * edition (whose seqFrom is later): the start their set was read from (the edition's seqFrom,
 * or in window mode just before its first post). Nothing with a cursor (it stays).
 */
function rollFrom(d: DigestSummary, cursor: number | undefined, v: Variant, since?: number) {
  if (cursor !== undefined || v.set.posts.length === 0) return {};
  if (d.seqFrom !== undefined) return { rollCursor: Math.min(d.seqFrom, since ?? d.seqFrom) };
  return { rollCursor: Math.min(...v.set.posts.map((p) => p.seq ?? 0)) - 1 };
}

/** Editions and prepared variants kept per process (editions never change once built). */
const CACHE_EDITIONS = 8;
const CACHE_VARIANTS = 32;

/**
 * Sends one batch of an edition: checks each subscriber's status now (README guarantee 4),
 * finds their post set's variant from their cursor and topics, claims them in the ledger
 * before SMTP while moving their cursor (README guarantees 2 and 3), fills the per-recipient
 * values into the variant's message prepared once per process (no MJML, no template engine
 * here), and records each reply.
 */
export function createBatchSender(deps: SendBatchDeps) {
  const { ledger, log } = deps;
  const editions = new Map<string, Promise<DigestSummary | undefined>>();
  const prepared = new Map<string, Promise<Prepared>>();
  // "<edition>:<kind>" of the SMTP errors this process has recorded as an edition's first.
  const noted = new Set<string>();

  function remember<T>(
    map: Map<string, Promise<T>>,
    key: string,
    max: number,
    make: () => Promise<T>,
  ) {
    let p = map.get(key);
    if (!p) {
      p = make();
      p.catch(() => map.delete(key));
      map.set(key, p);
      if (map.size > max) map.delete(map.keys().next().value!);
    }
    return p;
  }

  /** The built edition (its frozen range and main variant), once per process. */
  async function edition(id: string): Promise<DigestSummary> {
    const d = await remember(editions, id, CACHE_EDITIONS, async () => {
      const s = await deps.digests.getSummary(id);
      return s && isBuilt(s) && s.variant ? s : undefined;
    });
    if (!d) {
      editions.delete(id);
      throw new DigestNotSendableError(id);
    }
    return d;
  }

  /**
   * A variant's message prepared once per process: its content read (or, given the set
   * `v`, rendered under the variant's lock if no process has) once, not per recipient.
   * 'legacy': the content an earlier version stored on the edition.
   */
  function message(d: DigestSummary, variant: string, v?: Variant): Promise<Prepared> {
    return remember(prepared, `${d.id}|${variant}`, CACHE_VARIANTS, async () => {
      const c =
        variant === 'legacy'
          ? await deps.digests.get(d.id)
          : v
            ? await deps.variants.content(d, v)
            : await deps.variants.stored(d.id, variant);
      if (!c?.html) throw new Error(`edition ${d.id}: variant ${variant} has no stored content`);
      return prepareDigest(c, deps);
    });
  }

  /**
   * For a reader with no cursor (never sent anything) who confirmed before the previous
   * edition of this frequency was built: the arrival seq at their confirmation, so that the
   * posts since then reach them though the edition's seqFrom is later (they changed
   * frequency, paused, or their zone moved past a send). Undefined otherwise: the edition's
   * seqFrom is their start, as for everyone new.
   */
  async function sinceConfirmed(d: DigestSummary, s: SendInfo): Promise<number | undefined> {
    if (s.cursor !== undefined || d.seqFrom === undefined || !d.previousBuiltAt) return undefined;
    if (s.confirmedAtMs === undefined || s.confirmedAtMs >= Date.parse(d.previousBuiltAt))
      return undefined;
    return deps.posts.seqAt(s.confirmedAtMs);
  }

  /** What each recipient's claim asks for: eligibility now, and their variant from their cursor. */
  async function entriesFor(
    d: DigestSummary,
    infos: (SendInfo | undefined)[],
    ids: number[],
  ): Promise<ClaimEntry[]> {
    return Promise.all(
      ids.map(async (id, i) => {
        const s = infos[i];
        const eligible =
          s !== undefined &&
          s.status === 'confirmed' &&
          !s.paused &&
          (s.frequency ?? deps.defaultFrequency) === d.frequency;
        if (!eligible) return { id, eligible, variant: '' };
        // An edition of an earlier version has one content and no cursor range.
        if (d.seqTo === undefined) return { id, eligible, variant: d.variant! };
        const since = await sinceConfirmed(d, s);
        const v = await deps.variants.variantFor(d, s.cursor, s.topics, since);
        const count = v.set.posts.length + v.set.beyond;
        if (count === 0 || count < deps.minPosts)
          return {
            id,
            eligible,
            cursor: s.cursor,
            variant: v.id,
            rolled: count,
            ...rollFrom(d, s.cursor, v),
          };
        // Rendered before the claim: a claim whose content cannot be made would wait a lease.
        await message(d, v.id, v);
        return { id, eligible, cursor: s.cursor, variant: v.id };
      }),
    );
  }

  /**
   * Records an SMTP failure: final for 5xx (a 5.1.x also bounces the subscriber), final for a
   * 4xx on the job's last attempt, otherwise the claim is released for the job's retry.
   * Throttling never uses up an attempt (the job goes back via RateLimitError), so a 421 on
   * the last attempt is released too.
   */
  async function recordFailure(
    r: { edition: string; id: number; email: string },
    c: ReturnType<typeof classifySmtpError>,
    finalAttempt: boolean,
  ): Promise<'failed' | 'transient' | 'throttled'> {
    // Shown at once (send --wait, the dashboard), not only after the last attempt; one write
    // per kind per digest per process, however many recipients fail.
    const seen = `${r.edition}:${c.kind}`;
    if (!noted.has(seen)) {
      noted.add(seen);
      await deps.digests.noteError(r.edition, c.kind, {
        code: c.code,
        message: c.message,
        at: new Date().toISOString(),
      });
    }
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
    async send(editionId: string, ids: number[], finalAttempt: boolean): Promise<BatchOutcome> {
      const d = await edition(editionId);
      const date = d.id;
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

      const infos = await deps.subscribers.sendInfo(ids);
      const entries = await entriesFor(d, infos, ids);
      const claims = await ledger.claim(date, deps.owner, d.seqTo, entries);
      const work: { sub: RecipientSubscriber; message: Prepared }[] = [];
      for (const [i, c] of claims.entries()) {
        if (c.result !== 'claimed') {
          const k = c.result === 'stale' ? 'skipped' : c.result;
          out[k]++;
          continue;
        }
        // '' : claimed before variants were recorded (an earlier version's edition).
        const variant = c.variant || d.variant!;
        if (variant === EMPTY_VARIANT) throw new Error(`edition ${date}: claim with no posts`);
        work.push({ sub: infos[i]!, message: await message(d, variant) });
      }

      const sentRecords = createGroupCommit((items: { id: number; code: number }[]) =>
        ledger.sentMany(date, items),
      );
      const sendOne = async ({ sub, message }: (typeof work)[number]) => {
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
      await deps.digests.completeIfDone(date, new Date());
      if (deps.metrics) {
        for (const result of ['sent', 'failed', 'skipped', 'rolled'] as const)
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
