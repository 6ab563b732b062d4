/**
 * The bench's SMTP ends: Postfix's smtp-sink (where every run sends) and smtp-source (the C
 * reference client), or a Node sink where Postfix's tools are missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isListening } from '../src/redis.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tool = path.resolve(root, '../shared/tools/postfix-tool');

/** smtp-sink / smtp-source: env SMTP_SINK / SMTP_SOURCE, then PATH, then ../shared/tools/postfix-tool. */
export function postfixCommand(name: 'smtp-sink' | 'smtp-source'): string[] | undefined {
  const env = process.env[name === 'smtp-sink' ? 'SMTP_SINK' : 'SMTP_SOURCE'];
  if (env) return env.split(' ');
  if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return [name];
  if (existsSync(tool) && spawnSync(tool, [name], { stdio: 'ignore' }).error === undefined) {
    // The tool downloads Debian's package on first use; check that it can run at all.
    const probe = spawnSync(tool, [name, '-h'], { encoding: 'utf8' });
    if (/usage/i.test(`${probe.stderr}${probe.stdout}`)) return [tool, name];
  }
  return undefined;
}

export interface Sink {
  kind: string;
  postfix: boolean;
  pid?: number;
  /** Messages received so far (Postfix's smtp-sink only: its -c counters). */
  received?: () => number | undefined;
  stop(): void;
}

/**
 * Starts the sink on `port`. Postfix's smtp-sink runs with -c (running counters on stdout), so
 * the messages it received can be read back.
 */
export async function startSink(port: number, children: ChildProcess[]): Promise<Sink> {
  const sink = postfixCommand('smtp-sink');
  if (sink) {
    const [cmd, ...rest] = sink;
    const userArgs = process.getuid?.() === 0 && cmd !== tool ? ['-u', 'root'] : [];
    const child = spawn(cmd!, [...rest, ...userArgs, '-c', `127.0.0.1:${port}`, '1000'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('latin1')).slice(-200);
    });
    await waitPort(port);
    const received = () => {
      const all = [...tail.matchAll(/mesg=(\d+)/g)];
      return all.length ? Number(all[all.length - 1]![1]) : undefined;
    };
    return {
      kind: 'postfix smtp-sink',
      postfix: true,
      pid: child.pid,
      received,
      stop: () => child.kill(),
    };
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'bench/node-sink.ts'), String(port)],
    { stdio: 'ignore' },
  );
  children.push(child);
  await waitPort(port);
  return {
    kind: 'node smtp-server sink (Postfix tools missing)',
    postfix: false,
    pid: child.pid,
    stop: () => child.kill(),
  };
}

/**
 * Postfix's smtp-source: `messages` messages of `bytes` each over `sessions` parallel
 * sessions. Resolves with its rate, or undefined where it is missing or failed.
 */
export async function runSmtpSource(
  port: number,
  o: { messages: number; bytes: number; sessions: number },
): Promise<{ rate: number; seconds: number } | undefined> {
  const source = postfixCommand('smtp-source');
  if (!source) return undefined;
  const [cmd, ...rest] = source;
  const started = Date.now();
  // Asynchronous: the event loop must keep draining smtp-sink's counter output meanwhile.
  const child = spawn(
    cmd!,
    [
      ...rest,
      '-d',
      '-s',
      String(o.sessions),
      '-m',
      String(o.messages),
      '-l',
      String(o.bytes),
      `127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const seconds = (Date.now() - started) / 1000;
  if (code === 0) return { rate: o.messages / seconds, seconds };
  console.log(`smtp-source failed with exit code ${code}`);
  return undefined;
}

export async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await isListening('127.0.0.1', port, 200)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}
