// One server-sent event on the wire: `event: <type>` then one `data:` line per payload line
// (split on CRLF, CR and LF, so a payload can never inject an event of its own).
export function formatSseEvent(type: string, payload: string): string {
  const lines = payload.split(/\r\n|\r|\n/);
  let out = `event: ${type}\n`;
  for (const line of lines) out += `data:${line}\n`;
  return `${out}\n`;
}
