import { classifyHost, dkimAligned } from './mail/smtp-target.js';

/**
 * The start-up checks on where mail goes (src/config.ts). Sending to a public SMTP server (a
 * real provider) with links on localhost or a From at localhost is refused: every recipient
 * would get dead links or mail that fails every check. With a local or private server
 * (Mailpit, a relay on the LAN) the same values are only warnings, since that is how
 * development runs. `refusal` names the first variable that stops the start.
 */
export function checkMailSetup(input: {
  smtpUrl?: string;
  publicUrl?: string;
  fromDomain: string;
  dkimDomain?: string;
}): { warnings: string[]; refusal?: { variable: string; detail: string } } {
  const { smtpUrl, publicUrl, fromDomain, dkimDomain } = input;
  const warnings: string[] = [];
  const smtpHost = smtpUrl ? classifyHost(new URL(smtpUrl).hostname) : undefined;
  const publicUrlLocal = !publicUrl || classifyHost(new URL(publicUrl).hostname) === 'loopback';
  const fromLocal = classifyHost(fromDomain) === 'loopback';
  const problems: [string, string][] = [];
  if (publicUrlLocal)
    problems.push(['PUBLIC_URL', `is ${publicUrl ?? 'unset'}: links in mail point at localhost`]);
  if (fromLocal) problems.push(['MAIL_FROM', `is at ${fromDomain}: no receiver accepts that`]);
  for (const [variable, detail] of problems) {
    if (smtpHost === 'public')
      return {
        warnings,
        refusal: { variable, detail: `${detail}; refusing to send to a public SMTP server` },
      };
    if (smtpHost) warnings.push(`${variable} ${detail} (fine for a local SMTP server only)`);
  }
  if (dkimDomain && !dkimAligned(dkimDomain, fromDomain)) {
    warnings.push(
      `DKIM_DOMAIN ${dkimDomain} does not match the MAIL_FROM domain ${fromDomain}: ` +
        'DMARC will not count the signature (no alignment)',
    );
  }
  return { warnings };
}
