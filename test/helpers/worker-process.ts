import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the process logged "workers started" (its workers take jobs). */
  ready: Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** The last few KB of its stderr (kept, not printed: a Redis restart makes ioredis noisy). */
  stderr(): string;
}

/**
 * Runs `node --import tsx workers/main.ts` with `env` (a pipeline's env), as a user would run
 * a worker (`nodeArgs` go before the script: a preload such as test/helpers/shifted-clock.ts).
 * Its stdout (pino) is read only to know when it is ready; its stderr is kept.
 */
export function startWorkerProcess(
  env: Record<string, string>,
  opts: { nodeArgs?: string[] } = {},
): WorkerProcess {
  const args = ['--import', 'tsx', ...(opts.nodeArgs ?? []), 'workers/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: env.LOG_LEVEL === 'silent' || !env.LOG_LEVEL ? 'info' : env.LOG_LEVEL,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-8_000)));
  let exited = child.exitCode !== null;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => ((exited = true), resolve())),
  );
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      if (buf.includes('"workers started"')) {
        buf = '';
        resolve();
      } else if (buf.length > 100_000) buf = buf.slice(-1000);
    });
    child.once('exit', (code) =>
      reject(new Error(`worker process exited (${code}) before it was ready`)),
    );
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await gone;
    },
    stderr: () => stderr,
  };
}

/** A worker process on `env` whose clock reads `at` now (test/helpers/shifted-clock.ts). */
export function startWorkerAt(env: Record<string, string>, at: number): WorkerProcess {
  return startWorkerProcess(
    { ...env, TEST_CLOCK_OFFSET_MS: String(at - Date.now()) },
    { nodeArgs: ['--import', './test/helpers/shifted-clock.ts'] },
  );
}

/**
 * The worker processes a suite starts, so that it ends them all (`killAll`, in its after hook)
 * whatever failed. `at` starts one whose clock is set (test/helpers/shifted-clock.ts), so that
 * hours pass between two starts without waiting for them.
 */
export function workerGroup() {
  const started: WorkerProcess[] = [];
  const add = (w: WorkerProcess) => (started.push(w), w);
  return {
    /** The processes started and not yet ended by `kill` or `killAll`. */
    started,
    /** A worker process on `env` (startWorkerProcess); not waited for. */
    start: (env: Record<string, string>) => add(startWorkerProcess(env)),
    /** A worker process on `env` whose clock reads `at` now, once its workers take jobs. */
    async at(env: Record<string, string>, at: number): Promise<WorkerProcess> {
      const w = add(startWorkerAt(env, at));
      await w.ready;
      return w;
    },
    /** SIGKILLs `w` and forgets it. */
    async kill(w: WorkerProcess) {
      await w.kill();
      const i = started.indexOf(w);
      if (i >= 0) started.splice(i, 1);
    },
    async killAll() {
      await Promise.all(started.splice(0).map((w) => w.kill()));
    },
  };
}

export type WorkerGroup = ReturnType<typeof workerGroup>;
