// The root logger: JSON lines on stdout, with credentials redacted wherever they might appear. Child loggers
// inherit these rules; none defines its own redact (that would replace them).
import { type Logger, pino } from "pino";

export const REDACT_PATHS = [
  "secretKey",
  "*.secretKey",
  "SecretKey",
  "*.SecretKey",
  "token",
  "*.token",
  "sessionToken",
  "*.sessionToken",
  "credential",
  "*.credential",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "headers.Authorization",
  "*.headers.Authorization",
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts = {
    level,
    base: { component: "gaap-operator" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}
