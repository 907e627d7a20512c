/** The command line was wrong: exit status 2 and a one-line reason. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
