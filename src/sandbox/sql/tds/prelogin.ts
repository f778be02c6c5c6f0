/** PRELOGIN (MS-TDS 2.2.6.5): an option table of Token, Offset (BE), Length (BE), terminated by 0xFF, then the data. */

const Option = { version: 0x00, encryption: 0x01, instOpt: 0x02, threadId: 0x03, mars: 0x04 } as const

/** TLS is not implemented, so every client is told encryption is not supported and the session stays plaintext. */
const ENCRYPT_NOT_SUP = 0x02

/** Version reported to the client (only logged by tedious): 16.0.4000.0, i.e. SQL Server 2022. */
const SERVER_VERSION = Buffer.from([0x10, 0x00, 0x0f, 0xa0, 0x00, 0x00])

export function preloginResponse(): Buffer {
  const options: [number, Buffer][] = [
    [Option.version, SERVER_VERSION],
    [Option.encryption, Buffer.from([ENCRYPT_NOT_SUP])],
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
