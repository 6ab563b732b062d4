/**
 * How long signing one token takes (the send path signs three per recipient: unsubscribe, preferences and
 * the VERP bounce token; four with LIST_UNSUBSCRIBE_MAILTO): `npm run bench:sign`.
 * About 1.3 µs on an idle 2-core box.
 */
import { createTokens } from '../src/subscribers/tokens.js';

const tokens = createTokens('bench-secret-bench-secret-bench-secret-0123');
const n = 200_000;
let best = Infinity;
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) tokens.sign('unsubscribe', i);
  best = Math.min(best, ((performance.now() - t0) * 1000) / n);
}
console.log(`token signing: ${best.toFixed(2)} µs per token (best of 5 rounds of ${n})`);
