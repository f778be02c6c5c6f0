/** Values JSON cannot hold become something a reader can still use, so one bad output never ends a run. */
const tolerant = (_key: string, value: unknown) => {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return { name: value.name, message: value.message }
  return value
}

/** One line of NDJSON: JSON.stringify escapes every line break inside strings. */
export function jsonLine(value: object): string {
  try {
    return JSON.stringify(value, tolerant)
  } catch {
    // A cycle: mark each object seen twice instead of failing.
    const seen = new WeakSet<object>()
    return JSON.stringify(value, (key, raw) => {
      const v = tolerant(key, raw)
      if (typeof v !== 'object' || v === null) return v
      if (seen.has(v)) return '[circular]'
      seen.add(v)
      return v
    })
  }
}
