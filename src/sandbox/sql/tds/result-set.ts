/** COLMETADATA and ROW tokens for a handler's ResultSet; every column uses a nullable TYPE_INFO so NULL always fits. */
import { bVarchar } from './tokens.js'
import type { Column, ResultSet } from './types.js'
import { SqlServerError } from './types.js'
import {
  decimalLength,
  guidToBytes,
  MAX_LENGTH,
  TypeId as T,
  timeLength,
  toDateTime2Parts,
} from './wire-values.js'

const COLMETADATA = 0x81
const ROW = 0xd1
const FLAG_NULLABLE = 0x0001
/** Longest non-MAX (n)varchar/varbinary value in bytes; longer values switch the column to (MAX). */
const MAX_INLINE_BYTES = 8000
/** SQL_Latin1_General_CP1_CI_AS with the UTF8 flag: varchar columns carry UTF-8 so no code page mapping is needed. */
const UTF8_COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x04, 0x00])
const PLP_NULL = Buffer.alloc(8, 0xff)

/** How one column is described and how its values are written. */
interface ColumnCodec {
  typeInfo: Buffer
  encode(value: unknown): Buffer
  nullValue: Buffer
}

function typeError(column: Column, value: unknown, expected: string): SqlServerError {
  const shown = typeof value === 'string' ? `'${value.slice(0, 40)}'` : String(value)
  return new SqlServerError(
    50000,
    `switchyard TDS: column '${column.name}' is ${column.type} and needs ${expected}, got ${shown} (${typeof value})`,
  )
}

function lengthPrefixed(lengthBytes: 1 | 2, body: Buffer): Buffer {
  const head = Buffer.alloc(lengthBytes)
  head.writeUIntLE(body.length, 0, lengthBytes)
  return Buffer.concat([head, body])
}

/** PLP stream: known total length, one chunk (none when empty), zero terminator. */
function plp(body: Buffer): Buffer {
  const total = Buffer.alloc(8)
  total.writeBigUInt64LE(BigInt(body.length))
  if (body.length === 0) return Buffer.concat([total, Buffer.alloc(4)])
  const chunkLength = Buffer.alloc(4)
  chunkLength.writeUInt32LE(body.length)
  return Buffer.concat([total, chunkLength, body, Buffer.alloc(4)])
}

function integerCodec(column: Column, size: 1 | 2 | 4 | 8): ColumnCodec {
  const min = size === 1 ? 0n : -(2n ** BigInt(size * 8 - 1))
  const max = size === 1 ? 255n : 2n ** BigInt(size * 8 - 1) - 1n
  return {
    typeInfo: Buffer.from([T.intN, size]),
    nullValue: Buffer.from([0]),
    encode(value) {
      const integer = toBigInt(value)
      if (integer === undefined || integer < min || integer > max) {
        throw typeError(column, value, `an integer between ${min} and ${max}`)
      }
      const body = Buffer.alloc(size)
      if (size === 8) body.writeBigInt64LE(integer)
      else if (size === 1) body.writeUInt8(Number(integer))
      else body.writeIntLE(Number(integer), 0, size)
      return lengthPrefixed(1, body)
    },
  }
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value)
  return undefined
}

/** Scales an exact decimal string or a number to an integer magnitude with `scale` fraction digits, rounding half up. */
function toScaledDecimal(
  value: unknown,
  scale: number,
): { negative: boolean; magnitude: bigint } | undefined {
  let text: string
  if (typeof value === 'number' && Number.isFinite(value)) {
    text = Math.abs(value) < 1e21 ? value.toFixed(Math.min(scale + 1, 100)) : BigInt(value).toString()
  } else if (typeof value === 'string' || typeof value === 'bigint') {
    text = value.toString()
  } else {
    return undefined
  }
  const match = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text.trim())
  if (!match || (match[2] === '' && !match[3])) return undefined
  const fraction = (match[3] ?? '').padEnd(scale + 1, '0')
  let magnitude = BigInt(`${match[2] || '0'}${fraction.slice(0, scale)}`)
  if (Number(fraction[scale]) >= 5) magnitude += 1n
  return { negative: match[1] === '-', magnitude }
}

function decimalCodec(column: Column): ColumnCodec {
  const precision = column.precision ?? 18
  const scale = column.scale ?? 0
  const length = decimalLength(precision)
  const limit = 10n ** BigInt(precision)
  return {
    typeInfo: Buffer.from([T.decimalN, length, precision, scale]),
    nullValue: Buffer.from([0]),
    encode(value) {
      const scaled = toScaledDecimal(value, scale)
      if (!scaled || scaled.magnitude >= limit) {
        throw typeError(column, value, `a decimal(${precision},${scale}) as a string or number`)
      }
      const body = Buffer.alloc(length)
      body.writeUInt8(scaled.negative ? 0 : 1, 0)
      let rest = scaled.magnitude
      for (let i = 1; i < length; i++) {
        body.writeUInt8(Number(rest & 0xffn), i)
        rest >>= 8n
      }
      return lengthPrefixed(1, body)
    },
  }
}

/** nvarchar, varchar and varbinary: inline up to 8000 bytes, (MAX) with PLP values when any value is longer. */
function variableCodec(column: Column, rows: unknown[][], index: number): ColumnCodec {
  const toBytes = (value: unknown): Buffer => {
    if (column.type === 'varbinary') {
      if (!Buffer.isBuffer(value)) throw typeError(column, value, 'a Buffer')
      return value
    }
    if (typeof value !== 'string') throw typeError(column, value, 'a string')
    return Buffer.from(value, column.type === 'nvarchar' ? 'utf16le' : 'utf8')
  }
  const isMax = rows.some((row) => {
    const value = row[index]
    return value != null && toBytes(value).length > MAX_INLINE_BYTES
  })
  const maxLength = Buffer.alloc(2)
  maxLength.writeUInt16LE(isMax ? MAX_LENGTH : MAX_INLINE_BYTES)
  const typeInfo =
    column.type === 'varbinary'
      ? Buffer.concat([Buffer.from([T.varBinary]), maxLength])
      : column.type === 'nvarchar'
        ? Buffer.concat([Buffer.from([T.nVarChar]), maxLength, UTF8_COLLATION])
        : Buffer.concat([Buffer.from([T.varChar]), maxLength, UTF8_COLLATION])
  return {
    typeInfo,
    nullValue: isMax ? PLP_NULL : Buffer.from([0xff, 0xff]),
    encode: (value) => (isMax ? plp(toBytes(value)) : lengthPrefixed(2, toBytes(value))),
  }
}

function codecFor(column: Column, rows: unknown[][], index: number): ColumnCodec {
  switch (column.type) {
    case 'tinyint':
      return integerCodec(column, 1)
    case 'smallint':
      return integerCodec(column, 2)
    case 'int':
      return integerCodec(column, 4)
    case 'bigint':
      return integerCodec(column, 8)
    case 'decimal':
      return decimalCodec(column)
    case 'nvarchar':
    case 'varchar':
    case 'varbinary':
      return variableCodec(column, rows, index)
    case 'bit':
      return {
        typeInfo: Buffer.from([T.bitN, 1]),
        nullValue: Buffer.from([0]),
        encode(value) {
          if (typeof value !== 'boolean' && value !== 0 && value !== 1)
            throw typeError(column, value, 'a boolean')
          return Buffer.from([1, value ? 1 : 0])
        },
      }
    case 'float':
      return {
        typeInfo: Buffer.from([T.fltN, 8]),
        nullValue: Buffer.from([0]),
        encode(value) {
          if (typeof value !== 'number') throw typeError(column, value, 'a number')
          const body = Buffer.alloc(8)
          body.writeDoubleLE(value)
          return lengthPrefixed(1, body)
        },
      }
    case 'datetime2': {
      const scale = column.scale ?? 7
      const timeBytes = timeLength(scale)
      return {
        typeInfo: Buffer.from([T.dateTime2, scale]),
        nullValue: Buffer.from([0]),
        encode(value) {
          if (!(value instanceof Date) || Number.isNaN(value.getTime()))
            throw typeError(column, value, 'a valid Date')
          const { time, days } = toDateTime2Parts(value, scale)
          const body = Buffer.alloc(timeBytes + 3)
          body.writeUIntLE(time, 0, timeBytes)
          body.writeUIntLE(days, timeBytes, 3)
          return lengthPrefixed(1, body)
        },
      }
    }
    case 'uniqueidentifier':
      return {
        typeInfo: Buffer.from([T.guid, 16]),
        nullValue: Buffer.from([0]),
        encode(value) {
          const bytes = typeof value === 'string' ? guidToBytes(value) : undefined
          if (!bytes) throw typeError(column, value, 'a GUID string')
          return lengthPrefixed(1, bytes)
        },
      }
  }
}

/** COLMETADATA followed by one ROW per row. */
/** userTypeBytes: COLMETADATA's UserType is a USHORT up to TDS 7.1, a ULONG from 7.2. */
export function encodeResultSet(resultSet: ResultSet, userTypeBytes: 2 | 4 = 4): Buffer {
  const { columns, rows } = resultSet
  const codecs = columns.map((column, index) => codecFor(column, rows, index))
  const count = Buffer.alloc(3)
  count.writeUInt8(COLMETADATA, 0)
  count.writeUInt16LE(columns.length, 1)
  const parts: Buffer[] = [count]
  columns.forEach((column, index) => {
    const userTypeAndFlags = Buffer.alloc(userTypeBytes + 2)
    userTypeAndFlags.writeUInt16LE(column.nullable === false ? 0 : FLAG_NULLABLE, userTypeBytes)
    parts.push(userTypeAndFlags, codecs[index]?.typeInfo ?? Buffer.alloc(0), bVarchar(column.name))
  })
  for (const row of rows) {
    if (row.length !== columns.length) {
      throw new SqlServerError(
        50000,
        `switchyard TDS: a row has ${row.length} values but the result set has ${columns.length} columns`,
      )
    }
    parts.push(Buffer.from([ROW]))
    row.forEach((value, index) => {
      const codec = codecs[index] as ColumnCodec
      parts.push(value == null ? codec.nullValue : codec.encode(value))
    })
  }
  return Buffer.concat(parts)
}
