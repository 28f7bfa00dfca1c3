// Goal: a streamed body never runs ahead of its reader by more than a few events, and a
// reader that goes away stops the writer.
import { expect, test } from "bun:test";
import { EventSink } from "../../src/http/event-sink.ts";

test("writes wait while the reader is not reading, and resume when it reads", async () => {
  const sink = new EventSink(new AbortController().signal);
  let written = 0;
  const writer = (async () => {
    for (let i = 0; i < 50; i++) {
      if (!(await sink.write(`event ${i}\n`))) return;
      written++;
    }
    sink.end();
  })();
  await Bun.sleep(20);
  expect(written).toBeLessThan(12);
  const reader = sink.body.getReader();
  let text = "";
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    text += new TextDecoder().decode(next.value);
  }
  await writer;
  expect(written).toBe(50);
  expect(text.split("\n").filter(Boolean)).toHaveLength(50);
});

test("a disconnected client makes every write answer false", async () => {
  const request = new AbortController();
  const sink = new EventSink(request.signal);
  const pending = (async () => {
    for (let i = 0; i < 100; i++) if (!(await sink.write("x"))) return i;
    return 100;
  })();
  await Bun.sleep(10);
  request.abort();
  expect(await pending).toBeLessThan(100);
  expect(sink.closed.aborted).toBe(true);
  expect(await sink.write("late")).toBe(false);
});
