// Every flag, environment variable and limit of the server, parsed once with zod.
// docs/operations.md lists them with their defaults; test/unit/config.test.ts keeps the two
// in step.
import { totalmem } from "node:os";
import { z } from "zod";
import { AutoTuneError, resolveMemory, type AutoTuneFlag, type AutoTuneReport, type Notice } from "./auto-tune.ts";
import type { DeleteChunk } from "./storage/sqlite/wal.ts";

const MiB = 1024 * 1024;

export class ConfigError extends Error {}

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

/** Environment variables, by their exact names; zod's error path names the offender. */
const envSchema = z.object({
  PORT: int(0, 8787).pipe(z.number().max(65535)),
  DS_HOST: z.string().min(1).default("127.0.0.1"),
  DS_ROOT: z.string().min(1).default("./data"),
  DS_DB_PATH: z.string().min(1).optional(),
  DS_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  DS_HTTP_IDLE_TIMEOUT_SECONDS: int(1, 180).pipe(z.number().max(255)),
  DS_REQUEST_TIMEOUT_MS: int(0, 5000),
  API_KEY: z.string().optional(),

  DS_INGEST_FLUSH_MS: int(0, 0),
  DS_INGEST_MAX_BATCH_REQS: int(1, 200),
  DS_INGEST_MAX_BATCH_BYTES: int(1, 8 * MiB),
  DS_INGEST_MAX_QUEUE_REQS: int(1, 50_000),
  DS_INGEST_MAX_QUEUE_BYTES: int(1, 64 * MiB),
  DS_INGEST_BUSY_MS: int(0, 5000),
  DS_APPEND_TIMEOUT_MS: int(1, 3000),
  DS_APPEND_MAX_BODY_BYTES: int(1, 10 * MiB),
  DS_WRITER_THREAD_MIN_BATCH_BYTES: int(0, 64 * 1024),
  DS_WAL_PAYLOAD_FILE_MIN_BYTES: int(0, 2048),
  DS_WAL_PAYLOAD_FILE_MAX_BYTES: int(4096, 64 * MiB),
  DS_WAL_PAYLOAD_INLINE_AFTER_MS: int(0, 300_000),
  DS_WAL_PAYLOAD_SPARE_FILES: int(0, 2),

  DS_READ_MAX_BYTES: int(1, 1 * MiB),
  DS_READ_MAX_RECORDS: int(1, 1000),
  DS_READ_KEY_SCAN_MAX_OFFSETS: int(1, 100_000),

  DS_LONG_POLL_TIMEOUT_MS: int(0, 3000),
  DS_LONG_POLL_MAX_TIMEOUT_MS: int(0, 30_000),
  DS_SSE_KEEPALIVE_MS: int(100, 15_000),
  DS_SSE_MAX_CONNECTION_MS: int(1000, 60_000),

  DS_EXPIRY_SWEEP_MS: int(0, 60_000),
  DS_EXPIRY_SWEEP_LIMIT: int(1, 100),
  DS_PURGE_CHUNK_ROWS: int(1, 5000),
  DS_WAL_DELETE_CHUNK_BYTES: int(1, 2 * MiB),
  DS_TTL_RENEWAL_FLUSH_MS: int(0, 1000),
  DS_STREAM_NAME_MAX_BYTES: int(1, 1024),
  DS_SQLITE_CACHE_MB: int(0, 0),
  DS_WORKER_SQLITE_CACHE_MB: int(0, 0),
  DS_SQLITE_CHECKPOINT_MS: int(0, 50),
  DS_SQLITE_WAL_MAX_MB: int(1, 64),
  // Read by auto-tune.ts (presence matters there); listed so they are known and documented.
  DS_MEMORY_LIMIT_MB: int(0, 0),
  DS_MEMORY_LIMIT_BYTES: int(0, 0),
  DS_STREAM_CACHE_ENTRIES: int(1, 100_000),
  DS_GC_PACE_MB: int(0, 32),
  DS_GC_MIN_INTERVAL_MS: int(0, 100),

  DS_SEGMENT_MAX_BYTES: int(1024, 16 * MiB),
  DS_SEGMENT_TARGET_ROWS: int(1, 100_000),
  DS_SEGMENT_MAX_ROWS: int(1, 250_000),
  DS_SEGMENT_MAX_INTERVAL_MS: int(0, 60_000),
  DS_SEGMENT_CHECK_MS: int(10, 250),
  DS_SEGMENTER_WORKERS: int(0, 1).pipe(z.number().max(16)),
  DS_BLOCK_MAX_BYTES: int(1024, 256 * 1024),
  DS_SEGMENT_CACHE_MAX_BYTES: int(0, 256 * MiB),
  DS_UPLOAD_CHECK_MS: int(10, 250),
  DS_UPLOAD_CONCURRENCY: int(1, 4),
  DS_BASE_WAL_GC_CHUNK_OFFSETS: int(1, 5000),
  DS_OBJECTSTORE_TIMEOUT_MS: int(1, 30_000),
  DS_OBJECTSTORE_RETRIES: int(0, 3),
  DS_OBJECTSTORE_RETRY_BASE_MS: int(1, 50),
  DS_OBJECTSTORE_RETRY_MAX_MS: int(1, 2000),
  DURABLE_STREAMS_R2_BUCKET: z.string().optional(),
  DURABLE_STREAMS_R2_ACCOUNT_ID: z.string().optional(),
  DURABLE_STREAMS_R2_ACCESS_KEY_ID: z.string().optional(),
  DURABLE_STREAMS_R2_SECRET_ACCESS_KEY: z.string().optional(),
  DURABLE_STREAMS_R2_ENDPOINT: z.string().url().optional(),
  DURABLE_STREAMS_R2_REGION: z.string().min(1).default("auto"),

  DS_STREAM_META_CACHE_ENTRIES: int(1, 10_000),
  DS_METRICS_FLUSH_MS: int(0, 10_000),
  // Read by the local mode (src/local/paths.ts) only.
  DS_LOCAL_DATA_ROOT: z.string().min(1).optional(),
});

export type EnvInput = z.input<typeof envSchema>;

export interface Config {
  /**
   * `full`: tiered storage runs (segmenter, uploader, object store). `local`: the trusted
   * local mode of src/local/, where records stay in the WAL and there is no object store.
   */
  mode: "full" | "local";
  host: string;
  port: number;
  root: string;
  dbPath: string;
  logLevel: z.infer<typeof envSchema>["DS_LOG_LEVEL"];
  /** `none` only in local mode. */
  objectStore: "local" | "r2" | "none";
  auth: { strategy: "none" } | { strategy: "api-key"; apiKey: string };
  /** `requestTimeoutMs`: non-live requests unresolved by then answer 408 (0 = never). */
  http: { idleTimeoutSeconds: number; streamNameMaxBytes: number; requestTimeoutMs: number };
  ingest: {
    flushDelayMs: number;
    maxBatchRequests: number;
    maxBatchBytes: number;
    maxQueueRequests: number;
    maxQueueBytes: number;
    busyRetryMs: number;
    appendTimeoutMs: number;
    maxBodyBytes: number;
    /** Batches with at least this many bytes commit on the writer thread; 0 = no thread. */
    offloadMinBatchBytes: number;
  };
  /**
   * Payload files (storage/payload-files.ts): the inline writer keeps payloads of at least
   * `minBytes` (0 = none) in files of about `fileMaxBytes`; a closed file whose other rows
   * were collected has its last rows moved inline once it is `inlineAfterMs` old (0 = never);
   * up to `spareFiles` emptied files are kept to be written over.
   */
  walPayloads: { minBytes: number; fileMaxBytes: number; inlineAfterMs: number; spareFiles: number };
  read: { maxBytes: number; maxRecords: number; keyScanMaxOffsets: number };
  live: { longPollDefaultMs: number; longPollMaxMs: number; sseKeepAliveMs: number; sseMaxConnectionMs: number };
  housekeeping: { expirySweepMs: number; expirySweepLimit: number; purgeChunk: DeleteChunk; renewalFlushMs: number };
  /** Page caches of the serving connection and of the writer thread's; 0 = SQLite's default. */
  sqlite: {
    cacheBytes: number;
    workerCacheBytes: number;
    /** Background PASSIVE checkpoints every this many ms; 0 = SQLite's in-commit autocheckpoint. */
    checkpointIntervalMs: number;
    /** WAL size at which a committing connection checkpoints itself (backstop); 0 = SQLite's default. */
    walCheckpointBytes: number;
  };
  /** Stream rows kept in memory; streams whose parsed profile and registry are kept; GC pacing. */
  engine: { streamCacheEntries: number; metaCacheEntries: number; gcPaceBytes: number; gcMinIntervalMs: number };
  /** The server's own metrics stream: interval between appends; 0 = none. */
  metrics: { flushIntervalMs: number };
  /** What `--auto-tune` chose (all null when it is off). */
  autoTune: AutoTuneReport;
  /** The memory limit after the host clamp; 0 = no limit. It sizes caches; nothing is refused by it. */
  memory: { limitBytes: number };
  bootstrapFromObjectStore: boolean;
  r2: { bucket: string; accountId: string; accessKeyId: string; secretAccessKey: string; endpoint?: string; region: string } | null;
  tiering: {
    segmentMaxBytes: number;
    segmentTargetRows: number;
    segmentMaxRows: number;
    segmentMaxIntervalMs: number;
    segmentCheckMs: number;
    /** Worker threads that build segments (0: inline on the serving thread). */
    segmenterWorkers: number;
    blockMaxBytes: number;
    segmentCacheMaxBytes: number;
    uploadCheckMs: number;
    uploadConcurrency: number;
    /** WAL rows of published segments deleted per transaction. */
    walGcChunk: DeleteChunk;
    objectStoreTimeoutMs: number;
    objectStoreRetries: number;
    objectStoreRetryBaseMs: number;
    objectStoreRetryMaxMs: number;
  };
}

export const API_KEY_MIN_LENGTH = 10;

interface Flags {
  objectStore: string | null;
  noAuth: boolean;
  authStrategy: string | null;
  bootstrap: boolean;
  autoTune: AutoTuneFlag;
}

/**
 * Parses command-line flags; each flag takes `--flag value` or `--flag=value`, and
 * `--auto-tune` may also stand alone (its value, if any, is the next argument not starting
 * with `--`).
 */
export function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = { objectStore: null, noAuth: false, authStrategy: null, bootstrap: false, autoTune: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, null];
    const value = (): string => {
      if (inline !== null) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new ConfigError(`missing value for ${name}`);
      i += 1;
      return next;
    };
    switch (name) {
      case "--object-store":
        flags.objectStore = value();
        break;
      case "--no-auth":
        flags.noAuth = true;
        break;
      case "--auth-strategy":
        flags.authStrategy = value();
        break;
      case "--bootstrap-from-r2":
        flags.bootstrap = true;
        break;
      case "--auto-tune": {
        if (flags.autoTune !== null) throw new ConfigError("--auto-tune given twice");
        const next = argv[i + 1];
        const optional = inline ?? (next !== undefined && !next.startsWith("--") ? (i++, next) : null);
        flags.autoTune = { value: optional };
        break;
      }
      default:
        throw new ConfigError(`unknown flag ${arg}`);
    }
  }
  return flags;
}

function parseEnv(env: Record<string, string | undefined>): z.infer<typeof envSchema> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") picked[key] = value;
  }
  const result = envSchema.safeParse(picked);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    throw new ConfigError(`invalid ${name}=${JSON.stringify(picked[name] ?? "")}: ${issue.message}`);
  }
  return result.data;
}

function parseAuth(flags: Flags, apiKey: string | undefined): Config["auth"] {
  if (flags.noAuth && flags.authStrategy !== null) {
    throw new ConfigError("conflicting auth configuration: use either --no-auth or --auth-strategy api-key");
  }
  if (flags.noAuth) return { strategy: "none" };
  if (flags.authStrategy === null) {
    throw new ConfigError("missing auth configuration: expected --no-auth or --auth-strategy api-key");
  }
  if (flags.authStrategy !== "api-key") throw new ConfigError("invalid --auth-strategy (expected: api-key)");
  if (apiKey === undefined || apiKey.length < API_KEY_MIN_LENGTH) {
    throw new ConfigError(`API_KEY must be present and contain at least ${API_KEY_MIN_LENGTH} characters`);
  }
  return { strategy: "api-key", apiKey };
}

/** Every environment variable the server reads, with its default (undefined: none). */
export function environmentDefaults(): Record<string, string | number | undefined> {
  const parsed: Record<string, string | number | undefined> = envSchema.parse({});
  return Object.fromEntries(Object.keys(envSchema.shape).map((name) => [name, parsed[name]]));
}

/** Unknown `DS_*` variables are usually typos; the caller logs them once. */
export function unknownEnvNames(env: Record<string, string | undefined>): string[] {
  const known = new Set(Object.keys(envSchema.shape));
  return Object.keys(env).filter((k) => k.startsWith("DS_") && !known.has(k)).sort();
}

const R2_REQUIRED = [
  "DURABLE_STREAMS_R2_BUCKET",
  "DURABLE_STREAMS_R2_ACCOUNT_ID",
  "DURABLE_STREAMS_R2_ACCESS_KEY_ID",
  "DURABLE_STREAMS_R2_SECRET_ACCESS_KEY",
] as const;

function parseR2(e: z.infer<typeof envSchema>): NonNullable<Config["r2"]> {
  const missing = R2_REQUIRED.filter((name) => !e[name]);
  if (missing.length > 0) throw new ConfigError(`--object-store r2 needs ${R2_REQUIRED.join(", ")} (missing: ${missing.join(", ")})`);
  return {
    bucket: e.DURABLE_STREAMS_R2_BUCKET!,
    accountId: e.DURABLE_STREAMS_R2_ACCOUNT_ID!,
    accessKeyId: e.DURABLE_STREAMS_R2_ACCESS_KEY_ID!,
    secretAccessKey: e.DURABLE_STREAMS_R2_SECRET_ACCESS_KEY!,
    ...(e.DURABLE_STREAMS_R2_ENDPOINT ? { endpoint: e.DURABLE_STREAMS_R2_ENDPOINT } : {}),
    region: e.DURABLE_STREAMS_R2_REGION,
  };
}

export interface ConfigOptions {
  /** The host's RAM for the memory-limit clamp; tests inject it. Default: os.totalmem(). */
  hostMemoryBytes?: number;
}

/** SQLite: page caches (explicit, else derived from the memory limit, spec 05 §3.5) and checkpointing. */
function sqliteSettings(e: z.infer<typeof envSchema>, limitBytes: number): Config["sqlite"] {
  const cacheBytes = e.DS_SQLITE_CACHE_MB > 0 ? e.DS_SQLITE_CACHE_MB * MiB : Math.floor(limitBytes / 4);
  // The writer thread only appends: an eighth of the main cache, 8–32 MiB, is plenty.
  const derivedWorker = cacheBytes > 0 ? Math.min(32 * MiB, Math.max(8 * MiB, Math.floor(cacheBytes / 8))) : 0;
  const workerCacheBytes = e.DS_WORKER_SQLITE_CACHE_MB > 0 ? e.DS_WORKER_SQLITE_CACHE_MB * MiB : derivedWorker;
  const checkpointIntervalMs = e.DS_SQLITE_CHECKPOINT_MS;
  const walCheckpointBytes = checkpointIntervalMs > 0 ? e.DS_SQLITE_WAL_MAX_MB * MiB : 0;
  return { cacheBytes, workerCacheBytes, checkpointIntervalMs, walCheckpointBytes };
}

/** The configuration, and what start-up should log about it (auto-tune's choices, clamps). */
export function parseConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  options: ConfigOptions = {},
): { config: Config; notices: Notice[] } {
  const flags = parseFlags(argv);
  let memory;
  try {
    memory = resolveMemory(flags.autoTune, env, options.hostMemoryBytes ?? totalmem());
  } catch (error) {
    if (error instanceof AutoTuneError) throw new ConfigError(error.message);
    throw error;
  }
  const e = parseEnv({ ...env, ...memory.tunedEnv });
  const objectStore = flags.objectStore ?? "local";
  if (objectStore !== "local" && objectStore !== "r2") {
    throw new ConfigError("invalid --object-store (expected: r2 | local)");
  }
  const r2 = objectStore === "r2" ? parseR2(e) : null;
  if (e.DS_LONG_POLL_TIMEOUT_MS > e.DS_LONG_POLL_MAX_TIMEOUT_MS) {
    throw new ConfigError("invalid DS_LONG_POLL_TIMEOUT_MS: must not exceed DS_LONG_POLL_MAX_TIMEOUT_MS");
  }
  const config: Config = {
    mode: "full",
    host: e.DS_HOST,
    port: e.PORT,
    root: e.DS_ROOT,
    dbPath: e.DS_DB_PATH ?? `${e.DS_ROOT.replace(/\/+$/, "")}/wal.sqlite`,
    logLevel: e.DS_LOG_LEVEL,
    objectStore,
    auth: parseAuth(flags, e.API_KEY),
    http: { idleTimeoutSeconds: e.DS_HTTP_IDLE_TIMEOUT_SECONDS, streamNameMaxBytes: e.DS_STREAM_NAME_MAX_BYTES, requestTimeoutMs: e.DS_REQUEST_TIMEOUT_MS },
    ingest: {
      flushDelayMs: e.DS_INGEST_FLUSH_MS,
      maxBatchRequests: e.DS_INGEST_MAX_BATCH_REQS,
      maxBatchBytes: e.DS_INGEST_MAX_BATCH_BYTES,
      maxQueueRequests: e.DS_INGEST_MAX_QUEUE_REQS,
      maxQueueBytes: e.DS_INGEST_MAX_QUEUE_BYTES,
      busyRetryMs: e.DS_INGEST_BUSY_MS,
      appendTimeoutMs: e.DS_APPEND_TIMEOUT_MS,
      maxBodyBytes: e.DS_APPEND_MAX_BODY_BYTES,
      offloadMinBatchBytes: e.DS_WRITER_THREAD_MIN_BATCH_BYTES,
    },
    walPayloads: {
      minBytes: e.DS_WAL_PAYLOAD_FILE_MIN_BYTES,
      fileMaxBytes: e.DS_WAL_PAYLOAD_FILE_MAX_BYTES,
      inlineAfterMs: e.DS_WAL_PAYLOAD_INLINE_AFTER_MS,
      spareFiles: e.DS_WAL_PAYLOAD_SPARE_FILES,
    },
    read: {
      maxBytes: e.DS_READ_MAX_BYTES,
      maxRecords: e.DS_READ_MAX_RECORDS,
      keyScanMaxOffsets: e.DS_READ_KEY_SCAN_MAX_OFFSETS,
    },
    live: {
      longPollDefaultMs: e.DS_LONG_POLL_TIMEOUT_MS,
      longPollMaxMs: e.DS_LONG_POLL_MAX_TIMEOUT_MS,
      sseKeepAliveMs: e.DS_SSE_KEEPALIVE_MS,
      sseMaxConnectionMs: e.DS_SSE_MAX_CONNECTION_MS,
    },
    housekeeping: {
      expirySweepMs: e.DS_EXPIRY_SWEEP_MS,
      expirySweepLimit: e.DS_EXPIRY_SWEEP_LIMIT,
      purgeChunk: { rows: e.DS_PURGE_CHUNK_ROWS, bytes: e.DS_WAL_DELETE_CHUNK_BYTES },
      renewalFlushMs: e.DS_TTL_RENEWAL_FLUSH_MS,
    },
    sqlite: sqliteSettings(e, memory.limitBytes),
    engine: {
      streamCacheEntries: e.DS_STREAM_CACHE_ENTRIES,
      metaCacheEntries: e.DS_STREAM_META_CACHE_ENTRIES,
      gcPaceBytes: e.DS_GC_PACE_MB * MiB,
      gcMinIntervalMs: e.DS_GC_MIN_INTERVAL_MS,
    },
    metrics: { flushIntervalMs: e.DS_METRICS_FLUSH_MS },
    autoTune: memory.autoTune,
    memory: { limitBytes: memory.limitBytes },
    bootstrapFromObjectStore: flags.bootstrap,
    r2,
    tiering: {
      segmentMaxBytes: e.DS_SEGMENT_MAX_BYTES,
      segmentTargetRows: e.DS_SEGMENT_TARGET_ROWS,
      segmentMaxRows: e.DS_SEGMENT_MAX_ROWS,
      segmentMaxIntervalMs: e.DS_SEGMENT_MAX_INTERVAL_MS,
      segmentCheckMs: e.DS_SEGMENT_CHECK_MS,
      segmenterWorkers: e.DS_SEGMENTER_WORKERS,
      blockMaxBytes: e.DS_BLOCK_MAX_BYTES,
      segmentCacheMaxBytes: e.DS_SEGMENT_CACHE_MAX_BYTES,
      uploadCheckMs: e.DS_UPLOAD_CHECK_MS,
      uploadConcurrency: e.DS_UPLOAD_CONCURRENCY,
      walGcChunk: { rows: e.DS_BASE_WAL_GC_CHUNK_OFFSETS, bytes: e.DS_WAL_DELETE_CHUNK_BYTES },
      objectStoreTimeoutMs: e.DS_OBJECTSTORE_TIMEOUT_MS,
      objectStoreRetries: e.DS_OBJECTSTORE_RETRIES,
      objectStoreRetryBaseMs: e.DS_OBJECTSTORE_RETRY_BASE_MS,
      objectStoreRetryMaxMs: e.DS_OBJECTSTORE_RETRY_MAX_MS,
    },
  };
  return { config, notices: memory.notices };
}

export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>, options: ConfigOptions = {}): Config {
  return parseConfig(argv, env, options).config;
}
