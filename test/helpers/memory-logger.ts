// A logger for tests: keeps the lines so a test can assert what was logged.

import type { Logger } from '../../src/logger.js';

export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; details?: Record<string, unknown> }[] = [];
  info(message: string, details?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, details });
  }
  warn(message: string, details?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, details });
  }
  error(message: string, details?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, details });
  }
}
