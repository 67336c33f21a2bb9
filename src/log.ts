import { pino, type Logger } from 'pino';

export type { Logger };

/** Header and field names whose values must never reach a log line. */
const redactPaths = [
  '*.token',
  '*.secret',
  '*.password',
  '*.webhookSecret',
  '*.webhookToken',
  '*.signingToken',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  'headers["x-hub-signature-256"]',
];

/** The process logger; jobs derive children bound to delivery id, target and commit. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'driftless' } },
    options.destination ?? process.stdout,
  );
}
