/**
 * Group commit: `add(item)` resolves once `write` has stored the item. Items added in the same
 * turn of the event loop (SMTP replies read together) go in one write; items added while a
 * write is in flight go together in the next one. So a recipient's `sent` record waits at most
 * one Redis round trip longer than it would alone, and a batch of 100 replies costs a handful of
 * round trips instead of 100 (README "Sending").
 * A failed write rejects every item it carried.
 */
export function createGroupCommit<T>(write: (items: T[]) => Promise<unknown>) {
  let waiting: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      try {
        await write(group.map((w) => w.item));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    writing = false;
  }

  return {
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (!writing) {
          writing = true;
          setImmediate(() => void drain());
        }
      });
    },
  };
}
