import type { Tokens } from '../subscribers/tokens.js';
import type { ReportResult } from './bounce-reports.js';

/**
 * Which subscriber a returned message is about, from the signed tokens we put in what we send
 * (src/mail/recipient.ts), never from what the message merely says: anyone can write a DSN
 * naming any address, nobody can sign a token without SECRET (README "Bounces and complaints").
 * - a bounce or complaint names us through our VERP sender `bounces+<token>@…` (the address the
 *   report was delivered to) or the `<random.<token>@…>` Message-ID of the original it returns;
 * - an unsubscribe mail was sent to this subscriber's `unsubscribe+<token>@…`.
 */

const TOKEN = '[A-Za-z0-9_-]{40}';
const IN_ADDRESS = new RegExp(`\\+(${TOKEN})@`);
const IN_MESSAGE_ID = new RegExp(`[.+](${TOKEN})@`);

export function createReportTrust(tokens: Pick<Tokens, 'verify'>) {
  const verified = (purpose: 'bounce' | 'unsubscribe', values: string[], pattern: RegExp) => {
    const ids = new Set<number>();
    for (const value of values) {
      const token = pattern.exec(value)?.[1];
      const v = token ? tokens.verify(purpose, token) : undefined;
      if (v?.ok) ids.add(v.subscriberId);
    }
    return ids;
  };
  return {
    /** Subscribers a report's signed bounce tokens name (usually one: a VERP copy has one). */
    bounceSubscribers(report: ReportResult): Set<number> {
      return new Set([
        ...verified('bounce', report.addressedTo, IN_ADDRESS),
        ...verified('bounce', report.originalMessageIds, IN_MESSAGE_ID),
      ]);
    },
    /** The subscriber a mail to `unsubscribe+<token>@…` is from, if the token is ours. */
    unsubscribeRequest(report: ReportResult): number | undefined {
      return [...verified('unsubscribe', report.addressedTo, IN_ADDRESS)][0];
    },
  };
}

export type ReportTrust = ReturnType<typeof createReportTrust>;
