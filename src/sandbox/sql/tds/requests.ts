/** Decodes client requests: SQL_BATCH, RPC (sp_executesql and its parameters) and TRANSACTION_MANAGER. */
import type { Parameter } from './types.js'
import { SqlServerError } from './types.js'
import {
  DAYS_TO_UNIX_EPOCH,
  formatDecimal,
  fromDateTime2Parts,
  guidFromBytes,
  MAX_LENGTH,
  TypeId as T,
  timeLength,
} from './wire-values.js'

const STATUS_NULL_PLP = 0xffff_ffff_ffff_ffffn
const NULL_LENGTH = 0xffff
const MS_PER_DAY = 86_400_000
/** Days from 1900-01-01 (the DATETIME epoch) back to 1970-01-01. */
const DAYS_1900_TO_1970 = 25_567

/** A cursor over a payload; every read checks bounds so a malformed request fails with a message, not garbage. */
class ByteReader {
  constructor(
    private readonly buffer: Buffer,
    public offset = 0,
  ) {}

  get done(): boolean {
    return this.offset >= this.buffer.length
  }

  bytes(length: number): Buffer {
    if (this.offset + length > this.buffer.length) {
      throw new Error(
        `request ends early: need ${length} bytes at offset ${this.offset} of ${this.buffer.length}`,
      )
    }
    const slice = this.buffer.subarray(this.offset, this.offset + length)
    this.offset += length
    return slice
  }

  u8(): number {
    return this.bytes(1).readUInt8(0)
  }

  u16(): number {
    return this.bytes(2).readUInt16LE(0)
  }

  u32(): number {
    return this.bytes(4).readUInt32LE(0)
  }

  u64(): bigint {
    return this.bytes(8).readBigUInt64LE(0)
  }

  utf16(chars: number): string {
    return this.bytes(chars * 2).toString('utf16le')
  }
}

/** ALL_HEADERS (transaction descriptor etc.) prefixes every request; its first ULONG is its own total length. */
function afterAllHeaders(payload: Buffer): ByteReader {
  const reader = new ByteReader(payload)
  reader.offset = reader.u32()
  return reader
}

/** TDS 7.1 clients send no ALL_HEADERS; from 7.2 on every batch starts with them. */
export function parseSqlBatch(payload: Buffer, allHeaders = true): string {
  return payload.toString('utf16le', allHeaders ? afterAllHeaders(payload).offset : 0)
}

export interface RpcCall {
  /** A special procedure's id (10 = sp_executesql …) or the name the client called. */
  procedure: number | string
  params: Parameter[]
}

/** Reads an RPC request: the procedure (by id or by name) and its parameters, each with its own TYPE_INFO. */
export function parseRpc(payload: Buffer, allHeaders = true): RpcCall {
  const reader = allHeaders ? afterAllHeaders(payload) : new ByteReader(payload)
  const nameLength = reader.u16()
  const procedure = nameLength === 0xffff ? reader.u16() : reader.utf16(nameLength)
  reader.u16() // option flags: recompile / no-metadata, which a stub has no use for
  const params: Parameter[] = []
  while (!reader.done) params.push(readParameter(reader))
  return { procedure, params }
}

function readParameter(reader: ByteReader): Parameter {
  const name = reader.utf16(reader.u8()).replace(/^@/, '')
  reader.u8() // status flags: by-ref output parameters are read like inputs; no RETURNVALUE is sent back
  const { type, value } = readTypedValue(reader)
  return { name, type, value }
}

/** Reads TYPE_INFO then the value it describes (MS-TDS 2.2.5.4-5) for the types tedious sends as parameters. */
function readTypedValue(reader: ByteReader): { type: string; value: unknown } {
  const typeId = reader.u8()
  switch (typeId) {
    case T.intN: {
      const size = reader.u8()
      const type =
        ({ 1: 'tinyint', 2: 'smallint', 4: 'int', 8: 'bigint' } as Record<number, string>)[size] ?? 'int'
      const length = reader.u8()
      if (length === 0) return { type, value: null }
      const bytes = reader.bytes(length)
      if (length === 8) return { type, value: bytes.readBigInt64LE(0).toString() }
      return { type, value: length === 1 ? bytes.readUInt8(0) : bytes.readIntLE(0, length) }
    }
    case T.bitN: {
      reader.u8()
      const length = reader.u8()
      return { type: 'bit', value: length === 0 ? null : reader.u8() !== 0 }
    }
    case T.fltN: {
      const type = reader.u8() === 4 ? 'real' : 'float'
      const length = reader.u8()
      if (length === 0) return { type, value: null }
      const bytes = reader.bytes(length)
      return { type, value: length === 4 ? bytes.readFloatLE(0) : bytes.readDoubleLE(0) }
    }
    case T.decimalN:
    case T.numericN: {
      reader.u8()
      reader.u8() // precision: the value's byte length already bounds the magnitude
      const scale = reader.u8()
      const type = typeId === T.decimalN ? 'decimal' : 'numeric'
      const length = reader.u8()
      if (length === 0) return { type, value: null }
      if (![5, 9, 13, 17].includes(length)) throw new Error(`decimal parameter has invalid length ${length}`)
      const negative = reader.u8() === 0
      let magnitude = 0n
      reader
        .bytes(length - 1)
        .reverse()
        .forEach((byte) => {
          magnitude = (magnitude << 8n) | BigInt(byte)
        })
      return { type, value: formatDecimal(negative, magnitude, scale) }
    }
    case T.guid: {
      reader.u8()
      const length = reader.u8()
      return { type: 'uniqueidentifier', value: length === 0 ? null : guidFromBytes(reader.bytes(16)) }
    }
    case T.date: {
      const length = reader.u8()
      return {
        type: 'date',
        value: length === 0 ? null : fromDateTime2Parts(0, reader.bytes(3).readUIntLE(0, 3), 0),
      }
    }
    case T.time:
    case T.dateTime2:
    case T.dateTimeOffset:
      return readTimeFamily(reader, typeId)
    case T.dateTimeN: {
      reader.u8()
      const length = reader.u8()
      if (length === 0) return { type: 'datetime', value: null }
      const bytes = reader.bytes(length)
      // smalldatetime is (days UINT16, minutes UINT16); datetime is (days INT32, 1/300 s UINT32)
      const ms =
        length === 4
          ? (bytes.readUInt16LE(0) - DAYS_1900_TO_1970) * MS_PER_DAY + bytes.readUInt16LE(2) * 60_000
          : (bytes.readInt32LE(0) - DAYS_1900_TO_1970) * MS_PER_DAY +
            Math.round((bytes.readUInt32LE(4) * 10) / 3)
      return { type: length === 4 ? 'smalldatetime' : 'datetime', value: new Date(ms) }
    }
    case T.nVarChar:
    case T.nChar:
    case T.varChar:
    case T.char:
    case T.varBinary:
    case T.binary:
      return readVariableLength(reader, typeId)
    default:
      throw new SqlServerError(
        8016,
        `switchyard TDS: parameter TYPE_INFO 0x${typeId.toString(16)} is not supported (text, ntext, image, money, xml, sql_variant and table-valued parameters are not)`,
      )
  }
}

function readTimeFamily(reader: ByteReader, typeId: number): { type: string; value: Date | null } {
  const scale = reader.u8()
  const type = typeId === T.time ? 'time' : typeId === T.dateTime2 ? 'datetime2' : 'datetimeoffset'
  const length = reader.u8()
  if (length === 0) return { type, value: null }
  const time = reader.bytes(timeLength(scale)).readUIntLE(0, timeLength(scale))
  if (typeId === T.time) return { type, value: fromDateTime2Parts(time, DAYS_TO_UNIX_EPOCH, scale) }
  const days = reader.bytes(3).readUIntLE(0, 3)
  // datetimeoffset stores UTC followed by the offset in minutes, which a JS Date cannot keep
  if (typeId === T.dateTimeOffset) reader.bytes(2)
  return { type, value: fromDateTime2Parts(time, days, scale) }
}

function readVariableLength(
  reader: ByteReader,
  typeId: number,
): { type: string; value: string | Buffer | null } {
  const type = (
    {
      [T.nVarChar]: 'nvarchar',
      [T.nChar]: 'nchar',
      [T.varChar]: 'varchar',
      [T.char]: 'char',
      [T.varBinary]: 'varbinary',
      [T.binary]: 'binary',
    } as Record<number, string>
  )[typeId] as string
  const maxLength = reader.u16()
  const collation = typeId === T.varBinary || typeId === T.binary ? undefined : reader.bytes(5)
  const bytes = maxLength === MAX_LENGTH ? readPlp(reader) : readUsVarbyte(reader)
  if (bytes === null) return { type, value: null }
  if (collation === undefined) return { type, value: Buffer.from(bytes) }
  if (typeId === T.nVarChar || typeId === T.nChar) return { type, value: bytes.toString('utf16le') }
  return { type, value: decodeSingleByte(bytes, collation) }
}

function readUsVarbyte(reader: ByteReader): Buffer | null {
  const length = reader.u16()
  return length === NULL_LENGTH ? null : reader.bytes(length)
}

/** PLP: ULONGLONG total (or unknown), then ULONG-prefixed chunks up to a zero-length terminator. */
function readPlp(reader: ByteReader): Buffer | null {
  if (reader.u64() === STATUS_NULL_PLP) return null
  const chunks: Buffer[] = []
  for (let length = reader.u32(); length > 0; length = reader.u32()) chunks.push(reader.bytes(length))
  return Buffer.concat(chunks)
}

/** varchar bytes are in the collation's code page: UTF-8 when its UTF8 flag is set, else the Latin-1 family. */
function decodeSingleByte(bytes: Buffer, collation: Buffer): string {
  const flags = (((collation[3] ?? 0) & 0x0f) << 4) | ((collation[2] ?? 0) >> 4)
  const UTF8_FLAG = 0x40
  return new TextDecoder(flags & UTF8_FLAG ? 'utf-8' : 'windows-1252').decode(bytes)
}

/** True for the `set ansi_nulls on …` batch tedious sends after login and on reset: only SET options, no variables. */
export function isOnlySetOptions(sql: string): boolean {
  const statements = sql
    .split(/[;\n]/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
  return statements.length > 0 && statements.every((statement) => /^set\s+[a-z_]/i.test(statement))
}

export type TransactionRequest = 'begin' | 'commit' | 'rollback' | 'save'

export function parseTransactionRequest(payload: Buffer): TransactionRequest {
  const requestType = afterAllHeaders(payload).u16()
  const kinds: Record<number, TransactionRequest> = { 5: 'begin', 7: 'commit', 8: 'rollback', 9: 'save' }
  const kind = kinds[requestType]
  if (!kind)
    throw new SqlServerError(
      50000,
      `switchyard TDS: transaction manager request ${requestType} is not supported`,
    )
  return kind
}
