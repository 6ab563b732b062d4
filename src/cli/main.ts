import { Command } from 'commander';
import { loadConfigOrExit } from '../config.js';
import { createContext } from '../context.js';
import { AppError } from '../errors.js';
import { createServices } from '../services.js';
import { registerAdminCommands } from './admin.js';
import { registerBounceCommands } from './bounces.js';
import { registerDigestCommands } from './digests.js';
import type { OpenServices } from './open-services.js';
import { registerFeedCommands } from './feeds.js';
import { registerPreviewCommand } from './preview.js';
import { registerSubscriberCommands } from './subscribers.js';
import { registerTopicCommands } from './topics.js';

/**
 * The `digest` command: the admin actions from a terminal. Each command group lives in its own
 * file under src/cli/ and calls into its feature; this file only wires them to the composition
 * root (src/services.ts). Run it with `npm run digest -- <command>`.
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
const open: OpenServices = async () => {
  // Log lines go to stderr (stdout carries answers), at `warn` unless LOG_LEVEL says otherwise:
  // the commands say what they do in their own words.
  const ctx = await createContext(loadConfigOrExit(), {
    logName: 'cli',
    logFd: 2,
    logLevel: 'warn',
    checkRedis: false,
  }).catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
  const services = createServices(ctx);
  return {
    services,
    async close() {
      await services.close();
      await ctx.close();
    },
  };
};

registerFeedCommands(program, open);
registerSubscriberCommands(program, open);
registerTopicCommands(program, open);
registerPreviewCommand(program, open);
registerDigestCommands(program, open);
registerBounceCommands(program, open);
registerAdminCommands(program, open);

program
  .command('serve')
  .description('run the HTTP server (public pages and admin) alone')
  .action(async () => {
    await import('../server.js');
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Errors with a stable code are the user's to fix: say what is wrong, no stack trace.
  if (err instanceof AppError) {
    console.error(`error ${err.code}: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
