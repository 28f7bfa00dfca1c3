// The flags a Prisma Compute deployment implies (spec 05 §7.1): objects go to R2, and a
// service given a memory size is tuned for it. Auth is never implied: the deployer's own
// entry must choose `--auth-strategy api-key` or `--no-auth`. Pure, so it is tested alone.

const hasFlag = (argv: readonly string[], name: string): boolean =>
  argv.some((arg) => arg === name || arg.startsWith(`${name}=`));

/** `argv` (flags only, no runtime or script path) with the Compute defaults appended when absent. */
export function ensureComputeArgv(argv: readonly string[], env: Record<string, string | undefined>): string[] {
  const out = [...argv];
  if (!hasFlag(out, "--object-store")) out.push("--object-store", "r2");
  if ((env.DS_MEMORY_LIMIT_MB ?? "") !== "" && !hasFlag(out, "--auto-tune")) out.push("--auto-tune");
  return out;
}
