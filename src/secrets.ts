import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import type { Logger } from './log.js';

/**
 * Reads a secret kept in a file under DATA_DIR, or makes one. `wx` makes the first writer win
 * when two processes start at once; the loser reads the winner's value.
 */
function readOrCreate(file: string, minLength: number): { value: string; created: boolean } {
  const read = () => {
    try {
      const v = readFileSync(file, 'utf8').trim();
      return v.length >= minLength ? v : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const existing = read();
  if (existing) return { value: existing, created: false };
  mkdirSync(path.dirname(file), { recursive: true });
  const value = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const other = read();
    if (!other)
      throw new Error(`${file} exists but holds no usable value; delete it to make a new one`);
    return { value: other, created: false };
  }
}

/**
 * The admin token: ADMIN_TOKEN when set; else a random one made at first start and kept in
 * DATA_DIR/admin-token (mode 0600). The token never reaches the log: the HTTP server logs a
 * one-time login link instead (src/start-http.ts), so a fresh install has a working admin and
 * no open door.
 */
export function ensureAdminToken(
  config: Pick<Config, 'adminToken' | 'dataDir'>,
  log: Pick<Logger, 'warn'>,
): { token: string; generated: boolean } {
  if (config.adminToken) return { token: config.adminToken, generated: false };
  const file = path.join(config.dataDir, 'admin-token');
  const { value, created } = readOrCreate(file, 16);
  if (created) log.warn({ file }, `No ADMIN_TOKEN set: made one and saved it in ${file}`);
  return { token: value, generated: created };
}

/**
 * The signing secret for links (confirm, unsubscribe, preferences): SECRET when set; else one
 * made at first start and kept in DATA_DIR/secret (mode 0600), so links survive restarts.
 */
export function ensureSecret(config: Pick<Config, 'secret' | 'dataDir'>): string {
  if (config.secret) return config.secret;
  return readOrCreate(path.join(config.dataDir, 'secret'), 32).value;
}
