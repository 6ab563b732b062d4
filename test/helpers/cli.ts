import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { expect } from 'vitest';
import { registerFeedCommands } from '../../src/cli/feeds.js';
import type { OpenServices } from '../../src/cli/open-services.js';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { createServices } from '../../src/services.js';
import { TEST_REDIS_CLUSTER, TEST_REDIS_URL } from './redis.js';

/**
 * What `src/cli/main.ts` hands its commands, on the test Redis under `prefix`: a fresh context
 * and the composition root's services for each command, closed after it. Only the environment
 * differs from a user's run (a temporary DATA_DIR, a fixed SECRET).
 */
export function openTestServices(prefix: string, env: Record<string, string> = {}): OpenServices {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'digest-cli-'));
  const config = loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    REDIS_CLUSTER: TEST_REDIS_CLUSTER ? 'true' : 'false',
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: 'silent',
    ...env,
  });
  return async () => {
    const ctx = await createContext(config, { checkRedis: false });
    const services = createServices(ctx);
    return {
      services,
      async close() {
        await services.close();
        await ctx.close();
      },
    };
  };
}

/**
 * `digest <args>` for the feed commands (`feeds`, `ingest`, `posts`), run in this process on
 * `open` (openTestServices); resolves with what they printed, a line each. A command that
 * fails sets process.exitCode or rejects (commander's exitOverride): a suite resets it after.
 */
export function feedCommands(open: OpenServices) {
  return async (...args: string[]): Promise<string> => {
    const lines: string[] = [];
    const program = new Command('digest').exitOverride();
    registerFeedCommands(program, open, (line) => lines.push(line));
    await program.parseAsync(['node', 'digest', ...args]);
    return lines.join('\n');
  };
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What a `digest` process left: its exit code and output. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The stdout of a `digest` process, once it is seen to have exited 0 with nothing on stderr. */
export function quietStdout(r: CliResult): string {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/**
 * Runs `digest <args>` as a separate process, as a user would (`npm run digest -- …`), on the
 * test Redis under `prefix`; resolves with its exit code and output.
 */
export function runCli(
  opts: { prefix: string; dataDir: string; cwd?: string; env?: Record<string, string> },
  ...args: string[]
): Promise<CliResult> {
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_CLUSTER: TEST_REDIS_CLUSTER ? 'true' : 'false',
    REDIS_PREFIX: opts.prefix,
    DATA_DIR: opts.dataDir,
    SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  return spawnCli(env, args, opts.cwd);
}

/** Runs `digest <args>` with exactly `env` over this process's (a pipeline's env, say). */
export function spawnCli(
  env: Record<string, string>,
  args: string[],
  cwd = root,
): Promise<CliResult> {
  // By absolute paths: the command may run in another folder (relative feed paths).
  const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  const main = path.join(root, 'src/cli/main.ts');
  const child = spawn(process.execPath, ['--import', tsx, main, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
