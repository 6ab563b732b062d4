import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ReportErrorCode } from './bounce-reports.js';

/**
 * The messages under a path given to `bounces import`: one .eml file, an mbox file (messages
 * split on "From " lines), or a directory of either (read recursively, so a Maildir works).
 * Streams: an mbox of any size is read line by line, one message in memory at a time.
 */

/** Larger messages are skipped: a report with the original's headers is a few KB. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
const MAX_DIR_DEPTH = 4;

export type SourceMessage =
  | { source: string; raw: Buffer }
  | { source: string; error: { code: ReportErrorCode; message: string } };

/** Yields each message under `target`, or a per-file error in its place; never throws for one file. */
export async function* readReportMessages(target: string): AsyncGenerator<SourceMessage> {
  let info;
  try {
    info = await stat(target);
  } catch (err) {
    yield unreadable(target, err);
    return;
  }
  if (info.isDirectory()) yield* readDirectory(target, 0);
  else yield* readFile(target);
}

async function* readDirectory(dir: string, depth: number): AsyncGenerator<SourceMessage> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    yield unreadable(dir, err);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && depth < MAX_DIR_DEPTH) yield* readDirectory(full, depth + 1);
    else if (entry.isFile()) yield* readFile(full);
  }
}

async function* readFile(file: string): AsyncGenerator<SourceMessage> {
  let size: number;
  let head: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      size = (await handle.stat()).size;
      head = Buffer.alloc(5);
      await handle.read(head, 0, 5, 0);
    } finally {
      await handle.close();
    }
  } catch (err) {
    yield unreadable(file, err);
    return;
  }
  if (head.toString('latin1') === 'From ') {
    yield* readMbox(file);
    return;
  }
  if (size > MAX_MESSAGE_BYTES) {
    yield {
      source: file,
      error: { code: 'MESSAGE_TOO_LARGE', message: `larger than ${MAX_MESSAGE_BYTES} bytes` },
    };
    return;
  }
  try {
    const handle = await open(file, 'r');
    try {
      yield { source: file, raw: await handle.readFile() };
    } finally {
      await handle.close();
    }
  } catch (err) {
    yield unreadable(file, err);
  }
}

/**
 * Splits an mbox: a message starts at a "From " postmark line (at the start of the file or after
 * a blank line, carrying a year, as every mbox writer's asctime date does). `>From ` lines are
 * unescaped the mboxrd way (one `>` removed).
 */
async function* readMbox(file: string): AsyncGenerator<SourceMessage> {
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'latin1' }),
    crlfDelay: Infinity,
  });
  let n = 0;
  let buf: string[] = [];
  let bytes = 0;
  let tooLarge = false;
  let previousBlank = true;
  const finish = (): SourceMessage | undefined => {
    if (n === 0) return undefined;
    const source = `${file}#${n}`;
    if (tooLarge)
      return {
        source,
        error: { code: 'MESSAGE_TOO_LARGE', message: `larger than ${MAX_MESSAGE_BYTES} bytes` },
      };
    return { source, raw: Buffer.from(buf.join('\n'), 'latin1') };
  };
  try {
    for await (const line of lines) {
      if (n === 0 || (previousBlank && /^From \S+ .*\d{4}/.test(line))) {
        const done = finish();
        if (done) yield done;
        n += 1;
        buf = [];
        bytes = 0;
        tooLarge = false;
        previousBlank = false;
        continue;
      }
      previousBlank = line.trim() === '';
      if (tooLarge) continue;
      bytes += line.length + 1;
      if (bytes > MAX_MESSAGE_BYTES) {
        tooLarge = true;
        buf = [];
        continue;
      }
      buf.push(/^>+From /.test(line) ? line.slice(1) : line);
    }
  } catch (err) {
    yield unreadable(file, err);
    return;
  }
  const last = finish();
  if (last) yield last;
}

function unreadable(source: string, err: unknown): SourceMessage {
  const e = err as NodeJS.ErrnoException;
  return { source, error: { code: 'FILE_UNREADABLE', message: e.message ?? String(e) } };
}
