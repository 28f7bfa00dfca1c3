// The process logger: pino JSON lines on stdout (fd 1), or on stderr (fd 2) where stdout
// carries a program's own output (the local CLI).
import pino, { type Logger } from "pino";

export function createLogger(level: string, fd: 1 | 2 = 1): Logger {
  const options = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return fd === 1 ? pino(options) : pino(options, pino.destination({ dest: 2, sync: true }));
}
