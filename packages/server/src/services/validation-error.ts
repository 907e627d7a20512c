/** Bad input to a management operation (CLI, admin API): the message is shown to the operator. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}
