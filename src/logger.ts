// Application log lines (not the access log): one line each on stderr, level first.

export interface Logger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

function line(level: string, message: string, details?: Record<string, unknown>): string {
  const suffix = details && Object.keys(details).length > 0 ? ` ${JSON.stringify(details)}` : '';
  return `${new Date().toISOString()} ${level} ${message}${suffix}\n`;
}

export const consoleLogger: Logger = {
  info: (message, details) => process.stderr.write(line('info', message, details)),
  warn: (message, details) => process.stderr.write(line('warn', message, details)),
  error: (message, details) => process.stderr.write(line('error', message, details)),
};

/**
 * The log of a task that runs again and again (a poll, a refresh): while its store is down it
 * fails every few hundred milliseconds, and a line each time would bury everything else. The
 * first failure of a run is logged, then one line when the task works again, saying how many
 * tries failed in between.
 */
export class OutageLog {
  #failedTries = 0;

  constructor(
    private readonly logger: Logger,
    /** What failed and what happens meanwhile, e.g. "tracking numbers not refreshed; using the last copy". */
    private readonly failed: string,
    /** What works again, e.g. "tracking numbers refreshed again". */
    private readonly recovered: string,
  ) {}

  failure(error: unknown): void {
    this.#failedTries += 1;
    if (this.#failedTries === 1) this.logger.warn(this.failed, { error: String(error) });
  }

  success(): void {
    if (this.#failedTries > 0) this.logger.info(this.recovered, { failedTries: this.#failedTries });
    this.#failedTries = 0;
  }
}
