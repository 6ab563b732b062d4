import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Where a browser suite writes its screenshots, the one mechanism for both suites:
 * `SCREENSHOTS_DIR` (relative to the repository; `npm run screenshots` sets docs/screenshots)
 * or, under `npm test`, a temporary folder that `remove()` deletes, so the tree stays clean.
 */
export function screenshotsDir(): { dir: string; remove: () => void } {
  const wanted = process.env.SCREENSHOTS_DIR;
  const dir = wanted ? path.resolve(ROOT, wanted) : mkdtempSync(path.join(tmpdir(), 'e2e-shots-'));
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    remove: () => (wanted ? undefined : rmSync(dir, { recursive: true, force: true })),
  };
}
