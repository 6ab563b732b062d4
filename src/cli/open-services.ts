import type { Services } from '../services.js';

/** What a command gets from the composition root: the services, and how to let them go. */
export interface OpenedServices {
  services: Services;
  close(): Promise<void>;
}

/**
 * Opens the services (config, Redis, every store) when a command runs, not before, so that
 * `--help` works anywhere. `src/cli/main.ts` passes the real one; tests pass one on their Redis.
 */
export type OpenServices = () => Promise<OpenedServices>;

/** Runs `fn` with freshly opened services and always closes them. */
export async function withServices<T>(
  open: OpenServices,
  fn: (services: Services) => Promise<T>,
): Promise<T> {
  const opened = await open();
  try {
    return await fn(opened.services);
  } finally {
    await opened.close();
  }
}
