import type { Command } from 'commander';
import { LOGIN_CODE_TTL_MS } from '../http/admin-sessions.js';
import { withServices, type OpenServices } from './open-services.js';

/** Registers `admin sessions revoke` and `admin login-link`. */
export function registerAdminCommands(program: Command, open: OpenServices): void {
  const admin = program.command('admin').description('Admin sessions and login');
  admin
    .command('sessions')
    .description('Admin sessions (kept in Redis)')
    .command('revoke')
    .description('end every admin session now: every browser must log in again')
    .action(() =>
      withServices(open, async ({ adminSessions }) => {
        const n = await adminSessions.revokeAll();
        process.stdout.write(`Revoked ${n} admin session(s).\n`);
      }),
    );
  admin
    .command('login-link')
    .description(
      `print a one-time admin login link (works once, for ${LOGIN_CODE_TTL_MS / 60_000} minutes)`,
    )
    .action(() =>
      withServices(open, async ({ adminSessions, links }) => {
        const code = await adminSessions.createLoginCode();
        process.stdout.write(`${links.adminLogin()}?code=${code}\n`);
      }),
    );
}
