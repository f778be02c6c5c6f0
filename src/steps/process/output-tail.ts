/** Keeps the last bytes of a stream in bounded memory, so a chatty command cannot exhaust ours. */
export interface OutputTail {
  write(chunk: Buffer): void
  /** The kept text, redacted, with one trailing newline removed and a marker where bytes were cut. */
  text(redact: (text: string) => string): string
}

// Extra bytes kept before the window so a secret crossing the cut is still whole when redacted.
const REDACTION_MARGIN = 4096

export function createOutputTail(limit: number): OutputTail {
  const chunks: Buffer[] = []
  let kept = 0
  let total = 0
  return {
    write(chunk) {
      chunks.push(chunk)
      kept += chunk.length
      total += chunk.length
      while (chunks.length > 1 && kept - (chunks[0]?.length ?? 0) >= limit + REDACTION_MARGIN)
        kept -= chunks.shift()?.length ?? 0
    },
    text(redact) {
      const bytes = Buffer.concat(chunks)
      const redacted = redact(decodeFromCharStart(bytes.subarray(-(limit + REDACTION_MARGIN))))
      if (total <= limit) return withoutFinalNewline(redacted)
      const tail = decodeFromCharStart(Buffer.from(redacted).subarray(-limit))
      return `[... ${total - Buffer.byteLength(tail)} bytes cut]\n${withoutFinalNewline(tail)}`
    },
  }
}

const withoutFinalNewline = (text: string) => text.replace(/\r?\n$/, '')

/** Decodes UTF-8, skipping continuation bytes left at the start by a cut inside a character. */
function decodeFromCharStart(bytes: Buffer): string {
  let start = 0
  while (start < bytes.length && start < 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++
  return bytes.subarray(start).toString('utf8')
}
