import { Command } from 'commander';
import { loadConfigOrExit } from './config.js';
import { createContext, type Context } from './context.js';
import { AppError } from './errors.js';
import { registerBounceCommands } from './delivery/bounce-commands.js';
import { registerDigestCommands } from './digests/commands.js';
import { registerPreviewCommand } from './digests/preview-command.js';
import { registerFeedCommands } from './feeds/commands.js';
import { registerSubscriberCommands } from './subscribers/commands.js';

/**
 * The `digest` command: the admin actions from a terminal. Each subcommand is a thin call into
 * its feature module; this file only wires them. Run it with `npm run digest -- <command>`.
 */
// `digest subscribers export | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('digest')
  .description('Self-hosted weekly email digest: feeds in, one email a week out.')
  .showHelpAfterError();

// Config and Redis are loaded only when a command needs them, so --help works anywhere.
const getContext = (): Promise<Context> =>
  createContext(loadConfigOrExit(), { logName: 'cli', checkRedis: false }).catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });

registerFeedCommands(program, getContext);
registerSubscriberCommands(program, getContext);
registerPreviewCommand(program, getContext);
registerDigestCommands(program, getContext);
registerBounceCommands(program, getContext);

program
  .command('serve')
  .description('run the HTTP server (public pages and admin) alone')
  .action(async () => {
    await import('./server.js');
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Errors with a stable code are the user's to fix: say what is wrong, no stack trace.
  if (
    err instanceof AppError ||
    (err instanceof Error &&
      'code' in err &&
      typeof err.code === 'string' &&
      /^[A-Z_]+$/.test(err.code))
  ) {
    console.error(`error ${(err as AppError).code}: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
