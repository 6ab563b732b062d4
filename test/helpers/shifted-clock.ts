/**
 * Preloaded into a worker process (`--import ./test/helpers/shifted-clock.ts`) to run it at
 * another time: `Date.now()` and `new Date()` are shifted by TEST_CLOCK_OFFSET_MS. BullMQ takes
 * its timestamps from Date.now(), so delayed jobs come due by the shifted clock: a test can
 * start a scheduler a minute before an occurrence and restart it hours after, without waiting.
 */
const offset = Number(process.env.TEST_CLOCK_OFFSET_MS ?? 0);

if (offset !== 0) {
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...(args as [string | number | Date]));
    }
    static override now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}
