/** Response tokens (MS-TDS 2.2.7) that are not tied to a result set's column types. */

const Token = {
  returnStatus: 0x79,
  returnValue: 0xac,
  error: 0xaa,
  info: 0xab,
  loginAck: 0xad,
  envChange: 0xe3,
  done: 0xfd,
  doneProc: 0xfe,
  doneInProc: 0xff,
} as const

export const DoneStatus = { final: 0x00, more: 0x01, error: 0x02, count: 0x10, attention: 0x20 } as const

/** Which DONE flavour closes a statement: DONE in a batch, DONEINPROC/DONEPROC inside an RPC. */
export type DoneKind = 'done' | 'doneInProc' | 'doneProc'

export const EnvChangeType = {
  database: 1,
  packetSize: 4,
  collation: 7,
  beginTransaction: 8,
  commitTransaction: 9,
  rollbackTransaction: 10,
} as const

/** SQL_Latin1_General_CP1_CI_AS: tedious needs a server collation before it will send VarChar parameters. */
export const SERVER_COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34])

/** 1-byte character count + UTF-16LE. */
export function bVarchar(text: string): Buffer {
  const body = Buffer.from(text, 'utf16le')
  return Buffer.concat([Buffer.from([text.length]), body])
}

/** 2-byte character count + UTF-16LE. */
function usVarchar(text: string): Buffer {
  const length = Buffer.alloc(2)
  length.writeUInt16LE(text.length)
  return Buffer.concat([length, Buffer.from(text, 'utf16le')])
}

/** 1-byte length + bytes. */
export function bVarbyte(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([bytes.length]), bytes])
}

/** Token byte + USHORT length of what follows + body. */
function withLength(token: number, body: Buffer): Buffer {
  const head = Buffer.alloc(3)
  head.writeUInt8(token, 0)
  head.writeUInt16LE(body.length, 1)
  return Buffer.concat([head, body])
}

/** What the agreed TDS version can carry: 7.1 counts rows in 4 bytes; date and time types arrive with 7.3. */
export interface TdsFeatures {
  wideRowCount: boolean
  dateTime2: boolean
}

export const TDS_7_4_FEATURES: TdsFeatures = { wideRowCount: true, dateTime2: true }

export function featuresOf(tdsVersion: number): TdsFeatures {
  const TDS_8 = 0x08000000
  if (tdsVersion === TDS_8) return TDS_7_4_FEATURES
  return { wideRowCount: tdsVersion >= 0x72000000, dateTime2: tdsVersion >= 0x73000000 }
}

export function doneToken(kind: DoneKind, status: number, rowCount = 0, features = TDS_7_4_FEATURES): Buffer {
  const token = Buffer.alloc(features.wideRowCount ? 13 : 9)
  token.writeUInt8(Token[kind], 0)
  token.writeUInt16LE(status, 1)
  token.writeUInt16LE(0, 3)
  if (features.wideRowCount) token.writeBigUInt64LE(BigInt(rowCount), 5)
  else token.writeUInt32LE(rowCount, 5)
  return token
}

interface MessageFields {
  number: number
  state: number
  severity: number
  message: string
}

function messageToken(token: number, fields: MessageFields, serverName: string): Buffer {
  const numbers = Buffer.alloc(6)
  numbers.writeInt32LE(fields.number, 0)
  numbers.writeUInt8(fields.state, 4)
  numbers.writeUInt8(fields.severity, 5)
  const lineNumber = Buffer.alloc(4)
  lineNumber.writeInt32LE(1)
  return withLength(
    token,
    Buffer.concat([numbers, usVarchar(fields.message), bVarchar(serverName), bVarchar(''), lineNumber]),
  )
}

/** Takes a SqlServerError: mssql exposes number, state and class (severity) on the RequestError. */
export function errorToken(error: MessageFields, serverName: string): Buffer {
  return messageToken(Token.error, error, serverName)
}

/** What PRINT produces: number 0, severity 0. */
export function infoToken(message: string, serverName: string): Buffer {
  return messageToken(Token.info, { number: 0, state: 1, severity: 0, message }, serverName)
}

export function envChangeToken(type: number, newValue: Buffer, oldValue: Buffer): Buffer {
  return withLength(Token.envChange, Buffer.concat([Buffer.from([type]), newValue, oldValue]))
}

export function loginAckToken(
  progName: string,
  version = 0x74000004,
  productVersion = '16.0.4135.4',
): Buffer {
  const tdsVersion = Buffer.alloc(4)
  tdsVersion.writeUInt32BE(version)
  const SQL_TSQL = 0x01
  const [major = 16, minor = 0, build = 0] = productVersion.split('.').map(Number)
  const progVersion = Buffer.from([major, minor, (build >> 8) & 0xff, build & 0xff])
  return withLength(
    Token.loginAck,
    Buffer.concat([Buffer.from([SQL_TSQL]), tdsVersion, bVarchar(progName), progVersion]),
  )
}

export function returnStatusToken(status: number): Buffer {
  const token = Buffer.alloc(5)
  token.writeUInt8(Token.returnStatus, 0)
  token.writeInt32LE(status, 1)
  return token
}

/** RETURNVALUE (MS-TDS 2.2.7.19) of an int output parameter, e.g. sp_prepare's @handle. */
export function returnValueToken(ordinal: number, name: string, value: number): Buffer {
  const head = Buffer.alloc(3)
  head.writeUInt8(Token.returnValue, 0)
  head.writeUInt16LE(ordinal, 1)
  const OUTPUT = 0x01
  const meta = Buffer.alloc(1 + 4 + 2)
  meta.writeUInt8(OUTPUT, 0)
  const INTN = 0x26
  const data = Buffer.alloc(7)
  data.writeUInt8(INTN, 0)
  data.writeUInt8(4, 1)
  data.writeUInt8(4, 2)
  data.writeInt32LE(value, 3)
  return Buffer.concat([head, bVarchar(name), meta, data])
}
