/** Byte layouts shared by result-set encoding and parameter decoding (MS-TDS 2.2.5.5). */

export const TypeId = {
  guid: 0x24,
  intN: 0x26,
  date: 0x28,
  time: 0x29,
  dateTime2: 0x2a,
  dateTimeOffset: 0x2b,
  bitN: 0x68,
  decimalN: 0x6a,
  numericN: 0x6c,
  fltN: 0x6d,
  dateTimeN: 0x6f,
  varBinary: 0xa5,
  varChar: 0xa7,
  binary: 0xad,
  char: 0xaf,
  nVarChar: 0xe7,
  nChar: 0xef,
} as const

/** A USHORT max length of 0xFFFF marks a (MAX) type whose values are PLP streams. */
export const MAX_LENGTH = 0xffff

const MS_PER_DAY = 86_400_000
/** Days from 0001-01-01 to 1970-01-01, the epochs of DATE/DATETIME2 and of JS Date. */
export const DAYS_TO_UNIX_EPOCH = 719_162

/** DECIMALN value length (sign byte included) for a precision. */
export function decimalLength(precision: number): number {
  if (precision <= 9) return 5
  if (precision <= 19) return 9
  if (precision <= 28) return 13
  return 17
}

/** Formats a scaled magnitude as an exact decimal string, e.g. (-12345n, 2) → '-123.45'. */
export function formatDecimal(negative: boolean, magnitude: bigint, scale: number): string {
  const digits = magnitude.toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : ''
  return `${negative && magnitude !== 0n ? '-' : ''}${whole}${fraction}`
}

/** DATETIME2/TIME byte length of the time part for a scale. */
export function timeLength(scale: number): number {
  if (scale <= 2) return 3
  if (scale <= 4) return 4
  return 5
}

/** Splits a UTC instant into DATETIME2's time (units of 10^-scale s since midnight) and date (days since 0001-01-01). */
export function toDateTime2Parts(value: Date, scale: number): { time: number; days: number } {
  const ms = value.getTime()
  const msOfDay = ((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY
  return {
    time: Math.floor((msOfDay * 10 ** scale) / 1000),
    days: Math.floor(ms / MS_PER_DAY) + DAYS_TO_UNIX_EPOCH,
  }
}

export function fromDateTime2Parts(time: number, days: number, scale: number): Date {
  return new Date((days - DAYS_TO_UNIX_EPOCH) * MS_PER_DAY + Math.floor((time * 1000) / 10 ** scale))
}

/** GUIDs keep their first three groups little-endian on the wire. */
const GUID_BYTE_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]

export function guidToBytes(guid: string): Buffer | undefined {
  const hex = guid.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined
  const canonical = Buffer.from(hex, 'hex')
  return Buffer.from(GUID_BYTE_ORDER.map((i) => canonical[i] ?? 0))
}

export function guidFromBytes(bytes: Buffer): string {
  const hex = Buffer.from(GUID_BYTE_ORDER.map((i) => bytes[i] ?? 0))
    .toString('hex')
    .toUpperCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
