// Customers' failed requests against the drill's window: from the fault until switchyard noticed it
// or traffic was back on-prem, whichever came later, plus one TTL for resolvers still holding the
// old answer. Failures outside it are ones the drill cannot blame on the fault's detection.
import type { LoadSummary } from '../sandbox/load/index.js'

export function failuresOutsideWindow(load: LoadSummary, window: { from: number; to: number }): number {
  const outside = load.failures.filter((f) => {
    const sent = Date.parse(f.sentAt)
    return sent < window.from || sent > window.to
  })
  // The tally keeps the first failures only: those it did not keep are counted as outside, to be safe.
  return outside.length + Math.max(0, load.failed - load.failures.length)
}
