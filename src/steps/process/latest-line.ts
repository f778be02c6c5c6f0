import { StringDecoder } from 'node:string_decoder'

const MAX_PENDING = 4096

/**
 * Follows a stream's text and returns its newest complete line, for progress. Only whole lines are
 * returned, so a secret split across two chunks is never shown half-redacted.
 */
export function createLatestLine(): { write(chunk: Buffer): string | undefined } {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let pendingOverflowed = false
  return {
    write(chunk) {
      const lines = (pending + decoder.write(chunk)).split(/[\r\n]/)
      pending = lines.pop() ?? ''
      if (pendingOverflowed && lines.length > 0) {
        lines.shift()
        pendingOverflowed = false
      }
      if (pending.length > MAX_PENDING) {
        pending = ''
        pendingOverflowed = true
      }
      return lines.reverse().find((line) => line.trim() !== '')
    },
  }
}
