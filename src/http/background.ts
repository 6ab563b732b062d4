import type { Logger } from '../log.js';

/**
 * Work started after a response is sent (so the answer's timing says nothing about the work).
 * Errors are logged, never thrown at the client. `drain()` waits for what is running: the app
 * drains on close, and tests drain before they look at the outbox.
 */
export function createBackground(log: Pick<Logger, 'error'>) {
  const running = new Set<Promise<void>>();
  return {
    run(name: string, fn: () => Promise<unknown>): void {
      const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(fn)
        .then(
          () => undefined,
          (err: unknown) => log.error({ err, task: name }, 'background task failed'),
        )
        .finally(() => running.delete(p));
      running.add(p);
    },
    async drain(): Promise<void> {
      while (running.size) await Promise.all([...running]);
    },
  };
}

export type Background = ReturnType<typeof createBackground>;
