/** How a journaled value reads in one line: text as it is, anything else as compact JSON. */
export function oneLine(value: unknown, max = 160): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  const flat = text.replace(/\s*\n\s*/g, ' ⏎ ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const isPlain = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

const isScalar = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value)

/** Readings that share their fields (a list of checks, one record per host or database), as one table. */
export interface ReadingTable {
  path: string
  head: string[]
  rows: string[][]
}

export interface Readings {
  rows: Array<[string, string]>
  tables: ReadingTable[]
  /** Rows left out past the limit. */
  more: number
}

const isRecordOfScalars = (value: unknown): value is Record<string, unknown> =>
  isPlain(value) && Object.values(value).every(isScalar)

/** A list of flat records, or an object whose values are all flat records (keyed by host, database...). */
export function asTable(path: string, value: unknown): ReadingTable | undefined {
  const keyed =
    isPlain(value) && Object.keys(value).length > 0 && Object.values(value).every(isRecordOfScalars)
  const listed = Array.isArray(value) && value.length > 0 && value.every(isRecordOfScalars)
  if (!keyed && !listed) return undefined
  const records = Object.entries(value as Record<string, Record<string, unknown>>)
  const fields = [...new Set(records.flatMap(([, r]) => Object.keys(r)))]
  return {
    path,
    head: [...(keyed ? [''] : []), ...fields],
    rows: records.map(([key, r]) => [
      ...(keyed ? [key] : []),
      ...fields.map((f) => (f in r ? oneLine(r[f]) : '')),
    ]),
  }
}

/**
 * A step's outputs as readings, whatever the step type: values as `path: value` rows (nested
 * objects flattened with dots), and records that share their fields (an alarm per name, a host's
 * health round, a database's sync state) as tables. At most `limit` rows in all; the rest are counted.
 */
export function readOutputs(outputs: Record<string, unknown>, limit = 80): Readings {
  const readings: Readings = { rows: [], tables: [], more: 0 }
  let used = 0
  const walk = (path: string, value: unknown, depth: number) => {
    const table = depth > 0 ? asTable(path, value) : undefined
    if (table) {
      const room = Math.max(0, limit - used)
      readings.more += Math.max(0, table.rows.length - room)
      table.rows = table.rows.slice(0, room)
      used += table.rows.length
      if (table.rows.length > 0) readings.tables.push(table)
      return
    }
    if (isScalar(value) || depth >= 4 || (Array.isArray(value) && value.every(isScalar))) {
      if (used < limit) readings.rows.push([path, oneLine(value)])
      else readings.more++
      used++
      return
    }
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value as Record<string, unknown>)
    for (const [key, inner] of entries) walk(path ? `${path}.${key}` : key, inner, depth + 1)
  }
  walk('', outputs, 0)
  return readings
}

/** A checkpoint's data in a few words: its plain fields and one level of nested ones (`stage 1 · weights onprem 90, aws 10`). */
export function describeCheckpoint(data: unknown): string {
  if (!isPlain(data)) return oneLine(data, 60)
  const parts: string[] = []
  for (const [key, value] of Object.entries(data)) {
    if (isScalar(value)) parts.push(`${key} ${value}`)
    else if (Array.isArray(value) && value.length > 0 && value.every(isScalar))
      parts.push(`${key}: ${value.join('; ')}`)
    else if (isPlain(value) && Object.values(value).every(isScalar))
      parts.push(
        `${key} ${Object.entries(value)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      )
  }
  return parts.length > 0 ? parts.join(' · ') : 'checkpoint'
}

/** A span of milliseconds as an operator reads it: 340 ms, 4.2 s, 3 min 05 s, 1 h 02 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** An event time as the report prints it: UTC, to the millisecond, without the date's T. */
export const formatTime = (iso: string) => iso.replace('T', ' ').replace(/Z$/, ' UTC')
