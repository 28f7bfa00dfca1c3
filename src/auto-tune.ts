// Auto-tune and the memory limit (spec 02 §13.3–13.4): `--auto-tune[=MB]` picks a memory
// preset and turns it into environment values before the configuration is parsed, so a
// tuned server is configured exactly as if those variables had been set by hand. Pure:
// config.ts calls it and the server logs the notices it returns.
import { z } from "zod";

const MiB = 1024 * 1024;

export const AUTO_TUNE_PRESETS_MB = [256, 512, 1024, 2048, 4096, 8192] as const;
export type PresetMb = (typeof AUTO_TUNE_PRESETS_MB)[number];

/** The smallest memory figure auto-tune accepts: the smallest preset. */
export const AUTO_TUNE_MIN_MB = AUTO_TUNE_PRESETS_MB[0];

/**
 * One tuned variable: its value per preset, in the unit its name says (`…_MB` in MiB,
 * `…_BYTES` written as bytes but listed here in MiB so the table reads like the spec's).
 */
interface TunedSetting {
  name: string;
  /** Values for the presets in AUTO_TUNE_PRESETS_MB order. */
  values: readonly [number, number, number, number, number, number];
  /** The listed values are MiB, written to the variable as bytes. */
  mibAsBytes?: true;
}

/**
 * Spec 02 §13.4's table, restricted to the settings this server has (no concurrency gates,
 * indexes or segmenter workers yet), plus `DS_GC_PACE_MB`: upstream forces a collection after
 * 8 MiB of appended bodies on limits up to 1 GiB; above that our measured default (32) stays.
 */
export const TUNED_SETTINGS: readonly TunedSetting[] = [
  { name: "DS_SEGMENT_MAX_BYTES", values: [8, 8, 8, 16, 16, 16], mibAsBytes: true },
  { name: "DS_SEGMENT_TARGET_ROWS", values: [50_000, 50_000, 50_000, 100_000, 100_000, 100_000] },
  { name: "DS_SEGMENT_CACHE_MAX_BYTES", values: [0, 0, 0, 256, 256, 256], mibAsBytes: true },
  { name: "DS_SQLITE_CACHE_MB", values: [16, 32, 64, 128, 256, 512] },
  { name: "DS_WORKER_SQLITE_CACHE_MB", values: [8, 8, 8, 16, 32, 32] },
  { name: "DS_INGEST_MAX_BATCH_BYTES", values: [2, 2, 4, 8, 16, 64], mibAsBytes: true },
  { name: "DS_INGEST_MAX_QUEUE_BYTES", values: [8, 8, 16, 32, 64, 128], mibAsBytes: true },
  { name: "DS_UPLOAD_CONCURRENCY", values: [1, 1, 1, 2, 4, 8] },
  { name: "DS_GC_PACE_MB", values: [8, 8, 8, 32, 32, 32] },
];

export class AutoTuneError extends Error {}

export interface AutoTuneReport {
  enabled: boolean;
  requestedMemoryMb: number | null;
  presetMb: number | null;
  effectiveMemoryLimitMb: number | null;
}

export interface Notice {
  level: "info" | "warn";
  msg: string;
  fields?: Record<string, unknown>;
}

/** `--auto-tune` as given: absent, bare, or with a value (`=MB` or a following `MB`). */
export type AutoTuneFlag = { value: string | null } | null;

export interface MemoryResolution {
  autoTune: AutoTuneReport;
  /** The memory limit after the host clamp; 0 = none. */
  limitBytes: number;
  /** Variables auto-tune sets; none of them is in the environment (that is an error). */
  tunedEnv: Record<string, string>;
  notices: Notice[];
}

/** A whole number of `unit`s; `min` 1 where a figure is required, 0 where 0 means "no limit". */
const wholeNumber = (what: string, unit: string, min: 0 | 1) => {
  const message = `${what} must be a ${min === 1 ? "positive" : "non-negative"} whole number of ${unit}`;
  return z.string().trim().regex(/^[0-9]+$/, message).transform(Number).pipe(z.number().int().min(min, message));
};
const megabytes = (what: string, min: 0 | 1 = 1) => wholeNumber(what, "MiB", min);

function parseWith<T>(schema: z.ZodType<T>, raw: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw new AutoTuneError(`${result.error.issues[0]!.message} (got ${JSON.stringify(raw)})`);
  return result.data;
}

const present = (env: Record<string, string | undefined>, name: string): boolean => (env[name] ?? "") !== "";

/** The largest preset not above `requestedMb` (callers have checked it is at least the smallest). */
export function choosePreset(requestedMb: number): PresetMb {
  let chosen: PresetMb = AUTO_TUNE_PRESETS_MB[0];
  for (const preset of AUTO_TUNE_PRESETS_MB) if (preset <= requestedMb) chosen = preset;
  return chosen;
}

/** The memory limit a preset stands for: the preset, except 256 → 300 (as upstream). */
export function presetMemoryLimitMb(preset: PresetMb): number {
  return preset === 256 ? 300 : preset;
}

/** The tuned variables of a preset, as environment strings. */
export function presetEnv(preset: PresetMb): Record<string, string> {
  const column = AUTO_TUNE_PRESETS_MB.indexOf(preset);
  return Object.fromEntries(
    TUNED_SETTINGS.map((s) => [s.name, String(s.mibAsBytes ? s.values[column]! * MiB : s.values[column]!)]),
  );
}

/** One line per tuned setting: every preset's value, the chosen one in brackets. */
export function describePreset(preset: PresetMb): Notice[] {
  return TUNED_SETTINGS.map((s) => {
    const column = AUTO_TUNE_PRESETS_MB.indexOf(preset);
    const unit = s.mibAsBytes ? " MiB" : "";
    const choices = AUTO_TUNE_PRESETS_MB.map((p, i) => (i === column ? `[${p}: ${s.values[i]}]` : `${p}: ${s.values[i]}`));
    return {
      level: "info" as const,
      msg: `auto-tune ${s.name} = ${s.values[column]}${unit} (presets in MiB of memory: ${choices.join(", ")})`,
      fields: { setting: s.name, value: presetEnv(preset)[s.name], presetMb: preset },
    };
  });
}

/**
 * The limit actually applied: the request, but at most 70% of the host's RAM (and never
 * below 256 MiB), so a limit larger than the machine still leaves the pressure logic room.
 */
export function clampToHost(requestedBytes: number, hostMemoryBytes: number): number {
  return Math.min(requestedBytes, Math.max(256 * MiB, Math.floor(0.7 * hostMemoryBytes)));
}

function memoryLimitWithoutAutoTune(env: Record<string, string | undefined>): number {
  const mb = present(env, "DS_MEMORY_LIMIT_MB");
  const b = present(env, "DS_MEMORY_LIMIT_BYTES");
  if (mb && b) throw new AutoTuneError("set only one of DS_MEMORY_LIMIT_MB and DS_MEMORY_LIMIT_BYTES");
  if (mb) return parseWith(megabytes("DS_MEMORY_LIMIT_MB", 0), env.DS_MEMORY_LIMIT_MB!) * MiB;
  if (b) return parseWith(wholeNumber("DS_MEMORY_LIMIT_BYTES", "bytes", 0), env.DS_MEMORY_LIMIT_BYTES!);
  return 0;
}

/** The requested MiB of an `--auto-tune`, after the conflict rules of spec 02 §13.4. */
function requestedMegabytes(flag: { value: string | null }, env: Record<string, string | undefined>): number {
  if (present(env, "DS_MEMORY_LIMIT_BYTES")) {
    throw new AutoTuneError("--auto-tune cannot be combined with DS_MEMORY_LIMIT_BYTES (use DS_MEMORY_LIMIT_MB or --auto-tune=MB)");
  }
  const manual = TUNED_SETTINGS.map((s) => s.name).filter((name) => present(env, name));
  if (manual.length > 0) {
    throw new AutoTuneError(`--auto-tune sets these variables itself: ${manual.join(", ")} (unset them or drop --auto-tune)`);
  }
  if (flag.value !== null) {
    if (present(env, "DS_MEMORY_LIMIT_MB")) {
      throw new AutoTuneError("--auto-tune=MB cannot be combined with DS_MEMORY_LIMIT_MB (give the memory one way)");
    }
    return parseWith(megabytes("--auto-tune"), flag.value);
  }
  if (!present(env, "DS_MEMORY_LIMIT_MB")) {
    throw new AutoTuneError("--auto-tune needs a memory figure: --auto-tune=MB, --auto-tune MB or DS_MEMORY_LIMIT_MB");
  }
  return parseWith(megabytes("DS_MEMORY_LIMIT_MB"), env.DS_MEMORY_LIMIT_MB!);
}

/** Resolves `--auto-tune` and `DS_MEMORY_LIMIT_*` against the environment and the host's RAM. */
export function resolveMemory(flag: AutoTuneFlag, env: Record<string, string | undefined>, hostMemoryBytes: number): MemoryResolution {
  const notices: Notice[] = [];
  let requestedBytes: number;
  let autoTune: AutoTuneReport = { enabled: false, requestedMemoryMb: null, presetMb: null, effectiveMemoryLimitMb: null };
  let tunedEnv: Record<string, string> = {};
  if (flag === null) {
    requestedBytes = memoryLimitWithoutAutoTune(env);
  } else {
    const requestedMb = requestedMegabytes(flag, env);
    if (requestedMb < AUTO_TUNE_MIN_MB) {
      throw new AutoTuneError(`--auto-tune needs at least ${AUTO_TUNE_MIN_MB} MiB (got ${requestedMb})`);
    }
    const preset = choosePreset(requestedMb);
    const effective = presetMemoryLimitMb(preset);
    autoTune = { enabled: true, requestedMemoryMb: requestedMb, presetMb: preset, effectiveMemoryLimitMb: effective };
    tunedEnv = presetEnv(preset);
    requestedBytes = effective * MiB;
    notices.push({ level: "info", msg: `auto-tune: ${requestedMb} MiB requested, preset ${preset} MiB, memory limit ${effective} MiB`, fields: { ...autoTune } });
    notices.push(...describePreset(preset));
  }
  let limitBytes = requestedBytes;
  if (requestedBytes > 0) {
    limitBytes = clampToHost(requestedBytes, hostMemoryBytes);
    if (limitBytes < requestedBytes) {
      notices.push({
        level: "warn",
        msg: `[memory] clamped limit from ${requestedBytes} to ${limitBytes} based on host memory`,
        fields: { requestedBytes, limitBytes, hostMemoryBytes },
      });
    }
  }
  return { autoTune, limitBytes, tunedEnv, notices };
}
