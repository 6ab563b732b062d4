/** smtp-source's reference rate for a row: as many messages of the same size, same sink. */
import { prepareDigest } from '../src/mail/digest-copy.js';
import { runSmtpSource } from './postfix.js';
import { treeCpuSeconds } from './proc.js';
import type { Rig, Tuning } from './rig.js';

export interface BenchOptions extends Tuning {
  subscribers: number;
  /** smtp-source's sample at most (its rate is steady well before a million messages). */
  referenceMessages: number;
  cpuProf?: string;
}

export interface Reference {
  messageBytes: number;
  referenceMessages: number;
  referenceSeconds?: number;
  referenceMessagesPerSecond?: number;
  referenceSessions: number;
  /** The row's rate over smtp-source's. */
  ratio?: number;
  sinkCpuMsPerReferenceMessage: number;
}

/**
 * Builds one message of `edition`'s main variant (the size a reader gets), then has
 * smtp-source send min(subscribers, referenceMessages) of that size over `sessions` sessions
 * (the row's connections) to the row's sink. Without Postfix's tools: no rate, no ratio.
 */
export async function measureReference(
  rig: Rig,
  edition: string,
  sessions: number,
  opts: BenchOptions,
  rate: number,
): Promise<Reference> {
  const { services, config, sink } = rig;
  const digest = (await services.digests.get(edition))!;
  const sample = prepareDigest(digest, config).build({
    email: 'reader1@bench.example.org',
    unsubscribeUrl: `https://digest.example.com/unsubscribe?token=${services.tokens.sign('unsubscribe', 1)}`,
    preferencesUrl: `https://digest.example.com/preferences?token=${services.tokens.sign('preferences', 1)}`,
  });
  const messages = Math.min(opts.subscribers, opts.referenceMessages);
  const sinkCpu = () => (sink.pid ? treeCpuSeconds(sink.pid) : 0);
  const before = sinkCpu();
  const reference = sink.postfix
    ? await runSmtpSource(rig.sinkPort, { messages, bytes: sample.length, sessions })
    : undefined;
  return {
    messageBytes: sample.length,
    referenceMessages: messages,
    referenceSeconds: reference?.seconds,
    referenceMessagesPerSecond: reference ? Math.round(reference.rate) : undefined,
    referenceSessions: sessions,
    ratio: reference ? Number((rate / reference.rate).toFixed(3)) : undefined,
    sinkCpuMsPerReferenceMessage: Number((((sinkCpu() - before) * 1000) / messages).toFixed(3)),
  };
}
