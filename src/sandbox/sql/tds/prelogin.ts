/** PRELOGIN (MS-TDS 2.2.6.5): an option table of Token, Offset (BE), Length (BE), terminated by 0xFF, then the data. */

const Option = { version: 0x00, encryption: 0x01, instOpt: 0x02, threadId: 0x03, mars: 0x04 } as const

export const Encryption = { off: 0x00, on: 0x01, notSupported: 0x02, required: 0x03 } as const

/** The ENCRYPTION byte a client's PRELOGIN carries (absent: OFF). */
export function clientEncryption(payload: Buffer): number {
  for (let at = 0; at + 5 <= payload.length && payload[at] !== 0xff; at += 5) {
    if (payload.readUInt8(at) !== Option.encryption) continue
    const offset = payload.readUInt16BE(at + 1)
    return offset < payload.length ? payload.readUInt8(offset) : Encryption.off
  }
  return Encryption.off
}

/**
 * What the server answers. With a certificate: ON to a client that wants encryption, REQ to one that does not when
 * encryption is forced, else NOT_SUP (SQL Server would encrypt only the login; the sandbox does not model that).
 * Without one: NOT_SUP, and a client that requires encryption must refuse to go on.
 */
export function negotiateEncryption(
  client: number,
  options: { tls: boolean; forceEncryption: boolean },
): number {
  if (!options.tls) return Encryption.notSupported
  if (client === Encryption.on || client === Encryption.required) return Encryption.on
  return options.forceEncryption ? Encryption.required : Encryption.notSupported
}

/** VERSION as PRELOGIN carries it: major, minor, build (BE), sub-build (BE). */
function versionBytes(productVersion: string): Buffer {
  const [major = 16, minor = 0, build = 0] = productVersion.split('.').map(Number)
  const bytes = Buffer.alloc(6)
  bytes.writeUInt8(major, 0)
  bytes.writeUInt8(minor, 1)
  bytes.writeUInt16BE(build, 2)
  return bytes
}

export function preloginResponse(encryption: number, productVersion = '16.0.4135.4'): Buffer {
  const options: [number, Buffer][] = [
    [Option.version, versionBytes(productVersion)],
    [Option.encryption, Buffer.from([encryption])],
    [Option.instOpt, Buffer.from([0x00])],
    [Option.threadId, Buffer.alloc(0)],
    [Option.mars, Buffer.from([0x00])],
  ]
  const table = Buffer.alloc(options.length * 5 + 1)
  let dataOffset = table.length
  options.forEach(([token, data], i) => {
    table.writeUInt8(token, i * 5)
    table.writeUInt16BE(dataOffset, i * 5 + 1)
    table.writeUInt16BE(data.length, i * 5 + 3)
    dataOffset += data.length
  })
  table.writeUInt8(0xff, options.length * 5)
  return Buffer.concat([table, ...options.map(([, data]) => data)])
}
