const pad = (n: number) => String(n).padStart(2, '0')

/** `04:12:01`, in the machine's time zone, as CI logs print theirs. */
export function clockTime(date: Date): string {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** How long something took, for an operator: `850ms`, `12.3s`, `4m05s`, `1h02m`. */
export function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const seconds = Math.round(ms / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`
  return `${Math.floor(seconds / 3600)}h${pad(Math.floor(seconds / 60) % 60)}m`
}

/** Milliseconds between two journal timestamps, or undefined when either is missing or unreadable. */
export function between(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined
  const ms = Date.parse(to) - Date.parse(from)
  return Number.isFinite(ms) ? ms : undefined
}
