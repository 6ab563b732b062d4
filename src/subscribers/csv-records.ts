/* Splitting CSV lines into records, for the import (import-csv.ts). */

/** A record: its first line and text, or a line whose quote never closes. */
export type CsvRecord = { line: number; text: string } | { line: number; unclosed: true };

/** Lines a quoted field may span before its quote is taken for a stray one. */
const MAX_RECORD_LINES = 20;

/** True when `text` ends inside a quoted field (a quote opens only at the start of a field). */
function endsInQuotes(text: string): boolean {
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      }
    } else if (c === '"' && fieldStart) quoted = true;
    fieldStart = !quoted && (c === ',' || c === '\n');
  }
  return quoted;
}

/**
 * Splits lines into CSV records. A quoted field may span lines ("Grace\nHopper"); a quote
 * still open at the end of the file, or after MAX_RECORD_LINES lines, is a stray one: its line
 * is reported and the lines after it are read again as records of their own, so one bad quote
 * never swallows the rest of the file.
 */
export function createRecordReader() {
  let open: { no: number; raw: string }[] | undefined;
  const push = (no: number, raw: string): CsvRecord[] => {
    if (!open) {
      if (!raw.trim()) return [];
      if (!endsInQuotes(raw)) return [{ line: no, text: raw }];
      open = [{ no, raw }];
      return [];
    }
    open.push({ no, raw });
    const text = open.map((l) => l.raw).join('\n');
    if (!endsInQuotes(text)) {
      const line = open[0]!.no;
      open = undefined;
      return [{ line, text }];
    }
    return open.length > MAX_RECORD_LINES ? giveUp() : [];
  };
  const giveUp = (): CsvRecord[] => {
    const [first, ...rest] = open!;
    open = undefined;
    const out: CsvRecord[] = [{ line: first!.no, unclosed: true }];
    for (const l of rest) out.push(...push(l.no, l.raw));
    return out;
  };
  return {
    push,
    end(): CsvRecord[] {
      const out: CsvRecord[] = [];
      while (open) out.push(...giveUp());
      return out;
    },
  };
}
