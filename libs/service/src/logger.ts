import pino, { type Logger } from 'pino';

export type { Logger };

/** Field paths whose values are never written to the log (secrets, tokens, credentials). */
const REDACTED_PATHS = [
  'password', '*.password', 'token', '*.token', 'authorization', '*.authorization',
  'secret', '*.secret', 'data', '*.data', 'stringData', '*.stringData',
];

/**
 * A structured JSON logger for one component, writing to stdout. `level` defaults to
 * SKIFF_LOG_LEVEL or "info". Every line carries `component`; secrets (password, token,
 * authorization, secret/config data fields) are redacted wherever they appear one level deep.
 */
export function createLogger(component: string, level: string = process.env.SKIFF_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { component, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}
