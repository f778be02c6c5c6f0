/** LOGIN7 (MS-TDS 2.2.6.4): fixed offsets point at UTF-16LE strings further in the payload. */
import {
  bVarbyte,
  bVarchar,
  DoneStatus,
  doneToken,
  EnvChangeType,
  envChangeToken,
  errorToken,
  featuresOf,
  loginAckToken,
  SERVER_COLLATION,
} from './tokens.js'
import type { LoginRequest } from './types.js'
import { SqlServerError } from './types.js'

export interface Login7 {
  /** Packet size the client asked for; the server echoes it and uses it for its own packets. */
  packetSize: number
  /** The TDS version the client asks for (0x74000004 = 7.4, 0x08000000 = 8.0). */
  tdsVersion: number
  credentials: LoginRequest
}

const MIN_LENGTH = 94

/** Reads the string described by the (offset, char count) pair at `field`. */
function readString(payload: Buffer, field: number): string {
  const offset = payload.readUInt16LE(field)
  const chars = payload.readUInt16LE(field + 2)
  return payload.toString('utf16le', offset, offset + chars * 2)
}

/** tedious obfuscates each password byte by swapping nibbles then XOR 0xA5; this undoes it. */
function readPassword(payload: Buffer, field: number): string {
  const offset = payload.readUInt16LE(field)
  const chars = payload.readUInt16LE(field + 2)
  const bytes = Buffer.from(payload.subarray(offset, offset + chars * 2))
  for (let i = 0; i < bytes.length; i++) {
    const x = (bytes[i] ?? 0) ^ 0xa5
    bytes[i] = ((x << 4) | (x >> 4)) & 0xff
  }
  return bytes.toString('utf16le')
}

export function parseLogin7(payload: Buffer): Login7 {
  if (payload.length < MIN_LENGTH)
    throw new Error(`LOGIN7 payload is ${payload.length} bytes, expected at least ${MIN_LENGTH}`)
  return {
    packetSize: payload.readUInt32LE(8),
    tdsVersion: payload.readUInt32LE(4),
    credentials: {
      user: readString(payload, 40),
      password: readPassword(payload, 44),
      appName: readString(payload, 48),
      serverName: readString(payload, 52),
      database: readString(payload, 68),
    },
  }
}

/** ENVCHANGEs for database, collation and packet size, then LOGINACK and DONE, as a real server answers. */
export function loginAcceptedReply(
  serverName: string,
  database: string,
  packetSize: number,
  tdsVersion: number,
  productVersion: string | undefined,
): Buffer {
  return Buffer.concat([
    envChangeToken(EnvChangeType.database, bVarchar(database), bVarchar('master')),
    envChangeToken(EnvChangeType.collation, bVarbyte(SERVER_COLLATION), bVarbyte(Buffer.alloc(0))),
    envChangeToken(EnvChangeType.packetSize, bVarchar(String(packetSize)), bVarchar(String(packetSize))),
    loginAckToken(serverName, tdsVersion, productVersion),
    doneToken('done', DoneStatus.final, 0, featuresOf(tdsVersion)),
  ])
}

/** ERROR + DONE(ERROR) without LOGINACK: tedious turns the ERROR's text into an ELOGIN ConnectionError. */
export function loginRefusedReply(error: SqlServerError, serverName: string, tdsVersion: number): Buffer {
  return Buffer.concat([
    errorToken(error, serverName),
    doneToken('done', DoneStatus.error, 0, featuresOf(tdsVersion)),
  ])
}

/** Anything but a SqlServerError from the handler is a handler bug: refuse the login and name the cause. */
export function asLoginError(error: unknown, user: string): SqlServerError {
  if (error instanceof SqlServerError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new SqlServerError(18456, `Login failed for user '${user}'. Reason: ${reason}`, 1, 14)
}
