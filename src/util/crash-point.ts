// Named crash points: a no-op unless a test armed one through the environment, in which
// case the process kills itself (SIGKILL) the n-th time it passes that point. They mark
// the steps of each commit order (docs/storage.md), so crash tests can stop a real server
// exactly between two steps. The only test hook inside src/.
const armed = process.env.DS_CRASH_POINT ?? "";
let remaining = Number(process.env.DS_CRASH_POINT_SKIP ?? 0);

export function crashPoint(name: string): void {
  if (armed === "" || armed !== name) return;
  if (remaining-- > 0) return;
  process.kill(process.pid, "SIGKILL");
}
