// Starting a worker thread that answers its init message with `{ type: "ready" }` or
// `{ type: "init-failed", message }` (the writer, segmenter and checkpoint threads all do).
// A thread that fails to start is terminated before the error is thrown.
type InitReply = { type: "ready" } | { type: "init-failed"; message: string } | { type: string };

export async function startWorker(url: URL, init: unknown, label: string): Promise<Worker> {
  const worker = new Worker(url.href);
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (event: MessageEvent<InitReply>): void => {
      const reply = event.data;
      if (reply.type === "ready") resolve();
      else if (reply.type === "init-failed") reject(new Error(`${label}: ${(reply as { message: string }).message}`));
      else return;
      worker.removeEventListener("message", onMessage);
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", (event) => reject(new Error((event as ErrorEvent).message)), { once: true });
  });
  worker.postMessage(init);
  try {
    await ready;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return worker;
}
