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
