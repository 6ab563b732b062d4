import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { AppError } from './errors.js';

/*
 * The one way the service runs Lua (README, Architecture: "Redis scripts"). Each script is a
 * `.lua` file in its feature's `lua/` folder; shared fragments live in `lua/includes/` and are
 * pulled in by a line `--- @include "includes/<name>"` (BullMQ's convention), resolved when the
 * file is loaded. Every script is registered with ioredis `defineCommand`, which sends EVAL the
 * first time a connection runs it and EVALSHA after, and falls back to EVAL on NOSCRIPT (a Redis
 * restart, SCRIPT FLUSH, another cluster node).
 *
 * Scripts must name every key they take in KEYS (cluster-safe); keys a script builds itself from
 * a prefix in ARGV share the prefix's hash tag, so they land in the same slot.
 */

/** A Redis or Redis Cluster client (the same type as `RedisClient` in src/redis.ts). */
type Client = Redis | Cluster;

/** A script's key count: fixed, or `variable` when the caller's key list sets it per call. */
export type NumberOfKeys = number | 'variable';

/** A `.lua` file could not be loaded: missing, unreadable, or a bad `@include`. */
export class LuaScriptError extends AppError {
  constructor(message: string) {
    super('LUA_SCRIPT', message, 500);
    this.name = 'LuaScriptError';
  }
}

const INCLUDE = /^---\s*@include\s+"([^"]+)"\s*$/;

/** The service's source root: command names are the script paths relative to it. */
const SRC_ROOT = path.dirname(fileURLToPath(import.meta.url));

function display(file: string): string {
  const rel = path.relative(path.dirname(SRC_ROOT), file);
  return rel.startsWith('..') ? file : rel;
}

function readLua(file: string, from?: { file: string; line: number }): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : String(err);
    const where = from
      ? `${display(from.file)}:${from.line} includes ${display(file)}, which`
      : display(file);
    throw new LuaScriptError(`Lua script ${where} ${why}`);
  }
}

/**
 * The text of the `.lua` file at `file` with its includes resolved: each `--- @include "x"` line
 * becomes the text of `x.lua` (relative to the including file, `.lua` optional), recursively.
 * A file included twice is inserted once, at its first include; a cycle or a missing file is a
 * LuaScriptError naming the including file and line.
 */
export function loadLua(file: string | URL): string {
  const root = file instanceof URL ? fileURLToPath(file) : path.resolve(file);
  const included = new Set<string>();
  const expand = (at: string, text: string, stack: string[]): string =>
    text
      .split('\n')
      .map((line, i) => {
        const m = INCLUDE.exec(line.trim());
        if (!m) return line;
        const name = m[1]!.endsWith('.lua') ? m[1]! : `${m[1]}.lua`;
        const target = path.resolve(path.dirname(at), name);
        if (stack.includes(target)) {
          throw new LuaScriptError(
            `Lua script ${display(at)}:${i + 1} includes ${display(target)}, which includes it back`,
          );
        }
        if (included.has(target)) return `-- (${m[1]} included above)`;
        included.add(target);
        const body = readLua(target, { file: at, line: i + 1 });
        return expand(target, body.replace(/\n$/, ''), [...stack, target]);
      })
      .join('\n');
  return expand(root, readLua(root), [root]);
}

interface Definition {
  lua: string;
  numberOfKeys?: number;
}

/** Every command loaded so far, by name: createRedis registers them all on its clients. */
const definitions = new Map<string, Definition>();

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

function refuseKeyPrefix(client: Client): void {
  const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
  if (options.keyPrefix || options.redisOptions?.keyPrefix) {
    // The service builds every key itself (createKeys in src/redis.ts), and scripts build some
    // from a prefix in ARGV: ioredis would prefix KEYS a second time and leave those unprefixed.
    throw new LuaScriptError(
      'A Redis client with the ioredis keyPrefix option cannot run the service scripts: ' +
        'keys carry REDIS_PREFIX already (set REDIS_PREFIX, not keyPrefix)',
    );
  }
}

function define(client: Client, name: string, def: Definition): void {
  client.defineCommand(name, def);
}

/**
 * Registers every command loaded so far on `client` (createRedis does this for each client it
 * makes). Refuses a client with an ioredis `keyPrefix`.
 */
export function registerLuaCommands(client: Client): void {
  refuseKeyPrefix(client);
  for (const [name, def] of definitions) define(client, name, def);
}

/**
 * Defines `name` on a client that does not have it yet (one not made by createRedis, or a
 * script module imported after the client was made). With auto-pipelining, a pipeline queued
 * before the definition lacks the command, so the first call waits for it to be sent.
 */
async function defineLate(client: Client, name: string, def: Definition): Promise<void> {
  refuseKeyPrefix(client);
  define(client, name, def);
  const options = client.options as { enableAutoPipelining?: boolean };
  if (options.enableAutoPipelining) await nextTurn();
}

/** A registered script, called with its keys and arguments. */
export type LuaCommand<Reply> = (
  redis: Client,
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<Reply>;

/**
 * Loads the script at `file` (includes resolved) as the command `lua:<path under src>` and
 * returns its typed wrapper, called as `script(redis, keys, args)`. `numberOfKeys` is the
 * script's KEYS count, checked on every call, or `variable` for a script whose key list grows
 * with its input. `parse` turns the raw reply into `Reply` (default: the reply as is).
 */
export function luaCommand<Reply = unknown>(
  file: URL,
  numberOfKeys: NumberOfKeys,
  parse?: (reply: unknown) => Reply,
): LuaCommand<Reply> {
  const abs = fileURLToPath(file);
  const name = `lua:${path
    .relative(SRC_ROOT, abs)
    .replace(/\\/g, '/')
    .replace(/\.lua$/, '')}`;
  const def: Definition = { lua: loadLua(abs) };
  if (numberOfKeys !== 'variable') def.numberOfKeys = numberOfKeys;
  const known = definitions.get(name);
  if (known && (known.lua !== def.lua || known.numberOfKeys !== def.numberOfKeys)) {
    throw new LuaScriptError(`Lua command ${name} is loaded twice, with different definitions`);
  }
  definitions.set(name, def);

  return async (redis, keys, args) => {
    if (numberOfKeys !== 'variable' && keys.length !== numberOfKeys) {
      throw new LuaScriptError(`${name} takes ${numberOfKeys} keys, was given ${keys.length}`);
    }
    const commands = redis as unknown as Record<string, ScriptFn | undefined>;
    if (typeof commands[name] !== 'function') await defineLate(redis, name, def);
    const fn = commands[name]!;
    const reply =
      numberOfKeys === 'variable'
        ? await fn.call(redis, keys.length, ...keys, ...args)
        : await fn.call(redis, ...keys, ...args);
    return parse ? parse(reply) : (reply as Reply);
  };
}
