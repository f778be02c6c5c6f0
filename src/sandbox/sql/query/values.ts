import { conversionFailed } from '../errors.js'
import type { SqlType } from '../tds/index.js'
import type { ValueType } from './types.js'

const STRING_TYPES: ReadonlySet<SqlType> = new Set(['nvarchar', 'varchar', 'uniqueidentifier'])
const INTEGER_TYPES: ReadonlySet<SqlType> = new Set(['int', 'smallint', 'tinyint', 'bit'])

export const isStringType = (t: ValueType) => STRING_TYPES.has(t.type)

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** How CAST(datetime AS nvarchar) writes a date with style 121 (ODBC canonical), in UTC as the sandbox keeps time. */
export function formatDate(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.` +
    pad(date.getUTCMilliseconds(), 3)
  )
}

export function asText(value: unknown): string {
  if (value instanceof Date) return formatDate(value)
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex').toUpperCase()}`
  return String(value)
}

/** A value as a number or an exact bigint (LSNs are numeric(25,0), beyond 2^53). */
export function asNumeric(value: unknown, from: ValueType, to: string): number | bigint {
  if (typeof value === 'bigint' || typeof value === 'number') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value instanceof Date) return value.getTime()
  const text = String(value).trim()
  if (/^[-+]?\d+$/.test(text)) {
    const big = BigInt(text)
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return Number(text)
  throw conversionFailed(text, from.type, to)
}

/** CAST(value AS type), for the types the sandbox's columns and the steps' CASTs use. */
export function convert(value: unknown, from: ValueType, to: ValueType): unknown {
  if (value === null || value === undefined) return null
  switch (to.type) {
    case 'nvarchar':
    case 'varchar':
      return asText(value)
    case 'uniqueidentifier':
      return asText(value).toUpperCase()
    case 'bigint': {
      const n = asNumeric(value, from, to.type)
      return typeof n === 'bigint' ? n : BigInt(Math.trunc(n))
    }
    case 'decimal': {
      const n = asNumeric(value, from, to.type)
      const scale = to.scale ?? 0
      return typeof n === 'bigint' ? (scale ? `${n}.${'0'.repeat(scale)}` : n.toString()) : n.toFixed(scale)
    }
    case 'float':
      return Number(asNumeric(value, from, to.type))
    case 'bit':
      return Number(asNumeric(value, from, to.type)) !== 0
    case 'datetime2':
      return value instanceof Date ? value : new Date(asText(value))
    case 'varbinary':
      return Buffer.isBuffer(value) ? value : Buffer.from(asText(value), 'utf16le')
    default: {
      if (INTEGER_TYPES.has(to.type) || to.type === 'int') {
        const n = asNumeric(value, from, to.type)
        return Math.trunc(Number(n))
      }
      return value
    }
  }
}

/** SQL's comparison: null when either side is NULL; strings compare case-insensitively (a _CI_AS collation). */
export function compare(a: unknown, b: unknown, left: ValueType, right: ValueType): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null
  // varbinary compares byte by byte (SIDs, thumbprints)
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Math.sign(Buffer.compare(a, b))
  if (isStringType(left) && isStringType(right)) {
    const x = asText(a).toUpperCase().trimEnd()
    const y = asText(b).toUpperCase().trimEnd()
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (a instanceof Date || b instanceof Date) {
    const x = a instanceof Date ? a.getTime() : new Date(asText(a)).getTime()
    const y = b instanceof Date ? b.getTime() : new Date(asText(b)).getTime()
    return Math.sign(x - y)
  }
  const x = asNumeric(a, left, right.type)
  const y = asNumeric(b, right, left.type)
  if (typeof x === 'bigint' || typeof y === 'bigint') {
    const bx = typeof x === 'bigint' ? x : Number.isInteger(x) ? BigInt(x) : undefined
    const by = typeof y === 'bigint' ? y : Number.isInteger(y) ? BigInt(y) : undefined
    if (bx !== undefined && by !== undefined) return bx < by ? -1 : bx > by ? 1 : 0
    return Math.sign(Number(x) - Number(y))
  }
  return Math.sign(x - y)
}

/** The type of a CAST target written in the statement (nvarchar(36), bigint, numeric(25,0), datetime2 …). */
export function dataType(node: unknown): ValueType | undefined {
  const [name, body] =
    typeof node === 'string'
      ? [node, undefined]
      : (Object.entries((node ?? {}) as object)[0] ?? ['', undefined])
  let key = name.toLowerCase()
  if (key === 'custom') {
    const parts = (body as unknown[])?.[0] as { Identifier?: { value?: string } }[] | undefined
    key = String(parts?.at(-1)?.Identifier?.value ?? '').toLowerCase()
  }
  const precisionAndScale = (body as { PrecisionAndScale?: [number, number] })?.PrecisionAndScale
  switch (key) {
    case 'int':
    case 'integer':
      return { type: 'int' }
    case 'bigint':
      return { type: 'bigint' }
    case 'smallint':
      return { type: 'smallint' }
    case 'tinyint':
      return { type: 'tinyint' }
    case 'bit':
      return { type: 'bit' }
    case 'nvarchar':
    case 'nchar':
    case 'sysname':
    case 'nvarchar2':
      return { type: 'nvarchar' }
    case 'varchar':
    case 'char':
    case 'character':
    case 'charactervarying':
      return { type: 'varchar' }
    case 'decimal':
    case 'numeric':
    case 'dec':
      return { type: 'decimal', precision: precisionAndScale?.[0] ?? 18, scale: precisionAndScale?.[1] ?? 0 }
    case 'float':
    case 'real':
    case 'double':
      return { type: 'float' }
    case 'datetime':
    case 'datetime2':
    case 'smalldatetime':
    case 'date':
    case 'datetimeoffset':
      return { type: 'datetime2', scale: key === 'datetime2' ? 7 : 3 }
    case 'uniqueidentifier':
      return { type: 'uniqueidentifier' }
    case 'varbinary':
    case 'binary':
      return { type: 'varbinary' }
    default:
      return undefined
  }
}

/** The type of a bound parameter, from the TYPE_INFO the client sent. */
export function parameterType(type: string): ValueType {
  return dataType({ Custom: [[{ Identifier: { value: type } }], null] }) ?? { type: 'nvarchar' }
}
