// The one error type of the setup CLI: its message is the one line the user reads, and it never
// holds a secret.

export class SetupError extends Error {
  override name = 'SetupError';
  /** A problem that may go away by itself (no network, ngrok restarting): --watch keeps waiting. */
  readonly transient: boolean;

  constructor(message: string, options: { transient?: boolean } = {}) {
    super(message);
    this.transient = options.transient ?? false;
  }
}
