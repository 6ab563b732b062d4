import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/delivery/group-commit.js';

describe('createGroupCommit', () => {
  it('writes the items of one turn together, and groups the ones that arrive during a write', async () => {
    const writes: number[][] = [];
    let release: (() => void) | undefined;
    const group = createGroupCommit(async (items: number[]) => {
      writes.push(items);
      await new Promise<void>((r) => (release = r));
    });
    const turn = () => new Promise((r) => setImmediate(r));
    const first = [1, 2].map((n) => group.add(n));
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual([[1, 2]]);
    const rest = [3, 4, 5].map((n) => group.add(n));
    release!();
    await Promise.all(first);
    await turn();
    expect(writes).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    release!();
    await Promise.all(rest);
    const later = group.add(6);
    await turn();
    expect(writes).toEqual([[1, 2], [3, 4, 5], [6]]);
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
