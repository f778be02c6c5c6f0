const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const

/** `250ms`, `30s`, `5m`, `1h30m`: the one way runbooks write a length of time. */
export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h))+$/

/** Timers cannot wait longer than 2^31-1 ms (about 24.8 days); nothing in a cutover should. */
export const MAX_DURATION_MS = 2 ** 31 - 1

export function parseDuration(text: string): number {
  if (!DURATION_PATTERN.test(text)) throw new Error(`not a duration: ${text}`)
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g))
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return total
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}
