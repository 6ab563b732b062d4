import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
