// Command-line options of the local CLI and daemon (spec 05 §6.4): `--name`, `--hostname`,
// `--port`, each as `--flag value` or `--flag=value`. A flag given without a value falls back
// to its default; an absent one stays unset (the CLI must tell "all servers" from "default").
import { z } from "zod";
import { DEFAULT_LOCAL_NAME } from "./paths.ts";

export const DEFAULT_LOCAL_HOSTNAME = "127.0.0.1";
export const DEFAULT_LOCAL_PORT = 0;

export class LocalArgsError extends Error {}

export interface LocalProcessOptions {
  /** The first positional argument: the CLI's command, the daemon's name. */
  positional?: string;
  name?: string;
  hostname?: string;
  port?: number;
}

const port = z.coerce.number().int().min(0).max(65535);

const FLAG_DEFAULTS: Record<string, string> = {
  "--name": DEFAULT_LOCAL_NAME,
  "--hostname": DEFAULT_LOCAL_HOSTNAME,
  "--port": String(DEFAULT_LOCAL_PORT),
};

export function parseLocalProcessOptions(argv: readonly string[]): LocalProcessOptions {
  const options: LocalProcessOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      if (options.positional !== undefined) throw new LocalArgsError(`unexpected argument ${JSON.stringify(arg)}`);
      options.positional = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!(flag in FLAG_DEFAULTS)) throw new LocalArgsError(`unknown flag ${flag}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) value = argv[++i]!;
    else value = "";
    if (value.trim() === "") value = FLAG_DEFAULTS[flag]!;
    if (flag === "--name") options.name = value;
    else if (flag === "--hostname") options.hostname = value.trim();
    else {
      const parsed = port.safeParse(value.trim());
      if (!parsed.success || !/^[0-9]+$/.test(value.trim())) throw new LocalArgsError(`invalid --port ${JSON.stringify(value)}`);
      options.port = parsed.data;
    }
  }
  return options;
}
