import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/delivery/group-commit.js';

describe('createGroupCommit', () => {
  it('writes the first item alone and groups the ones that arrive during a write', async () => {
    const writes: number[][] = [];
    let release: (() => void) | undefined;
    const group = createGroupCommit(async (items: number[]) => {
      writes.push(items);
      await new Promise<void>((r) => (release = r));
    });
    const first = group.add(1);
    const rest = [2, 3, 4].map((n) => group.add(n));
    expect(writes).toEqual([[1]]);
    release!();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1], [2, 3, 4]]);
    release!();
    await Promise.all(rest);
    const later = group.add(5);
    expect(writes).toEqual([[1], [2, 3, 4], [5]]);
    release!();
    await later;
  });

  it('rejects every item of a failed write and keeps writing later ones', async () => {
    let fail = true;
    const written: number[] = [];
    const group = createGroupCommit(async (items: number[]) => {
      await Promise.resolve();
      if (fail) throw new Error('redis down');
      written.push(...items);
    });
    const a = group.add(1);
    const b = group.add(2);
    await expect(a).rejects.toThrow('redis down');
    await expect(b).rejects.toThrow('redis down');
    fail = false;
    await group.add(3);
    expect(written).toEqual([3]);
  });
});
