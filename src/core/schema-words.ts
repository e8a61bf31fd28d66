/**
 * Words for zod schemas' issues: a schema made with `expecting('a positive integer')` says so for
 * every check of its field that fails, and that the field is missing when it is absent, so a
 * message reads `expected a positive integer, found "3"` whichever check failed.
 */
import type { z } from 'zod';

/** What is expected of a field that is absent. */
export const MISSING = 'this field (missing field)';

/** Schema options whose every issue says `what` was expected (or that the field is missing). */
export const expecting = (what: string) => ({
  errorMap: (_issue: z.ZodIssueOptionalMessage, ctx: { data: unknown }) => ({ message: ctx.data === undefined ? MISSING : what }),
});
