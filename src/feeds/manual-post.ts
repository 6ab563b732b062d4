import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { HttpUrl } from '../http-url.js';

/** Input of `posts add`: checked here, at the boundary. */
export const ManualPostInput = z.object({
  title: z.string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters'),
  url: HttpUrl,
  date: z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      const d = new Date(s);
      if (Number.isNaN(d.getTime())) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a date such as 2025-03-01 or 2025-03-01T09:00:00Z',
        });
        return z.NEVER;
      }
      return d;
    }),
  summary: z.string().max(5000, 'must be at most 5000 characters').optional(),
});
export type ManualPostInput = z.input<typeof ManualPostInput>;

/** Parses `posts add` options; throws ValidationError naming the bad option. */
export function parseManualPost(input: ManualPostInput) {
  const parsed = ManualPostInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError('POST_INVALID', `--${String(issue.path[0] ?? '?')} ${issue.message}`);
  }
  return parsed.data;
}
