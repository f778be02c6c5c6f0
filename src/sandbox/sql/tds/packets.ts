/** TDS packet framing (MS-TDS 2.2.3): an 8-byte header, then a slice of a message; EOM marks a message's last packet. */

export const PacketType = {
  sqlBatch: 0x01,
  rpc: 0x03,
  tabularResult: 0x04,
  attention: 0x06,
  transactionManager: 0x0e,
  login7: 0x10,
  prelogin: 0x12,
} as const

const HEADER_LENGTH = 8
const STATUS_EOM = 0x01
const STATUS_IGNORE = 0x02

export interface Message {
  type: number
  /** The client abandoned this message part-way (IGNORE bit); it must be discarded. */
  ignored: boolean
  payload: Buffer
}

/** Reassembles client messages from socket chunks; packets and messages may straddle chunks freely. */
export class MessageReader {
  private buffered: Buffer = Buffer.alloc(0)
  private parts: Buffer[] = []

  /** Feeds a socket chunk and returns the messages it completed. */
  push(chunk: Buffer): Message[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    const messages: Message[] = []
    while (this.buffered.length >= HEADER_LENGTH) {
      const length = this.buffered.readUInt16BE(2)
      if (length < HEADER_LENGTH) throw new Error(`TDS packet length ${length} is shorter than its header`)
      if (this.buffered.length < length) break
      const type = this.buffered.readUInt8(0)
      const status = this.buffered.readUInt8(1)
      this.parts.push(this.buffered.subarray(HEADER_LENGTH, length))
      this.buffered = this.buffered.subarray(length)
      if (status & STATUS_EOM) {
        messages.push({ type, ignored: (status & STATUS_IGNORE) !== 0, payload: Buffer.concat(this.parts) })
        this.parts = []
      }
    }
    return messages
  }
}

/** Splits one server message into packets of at most packetSize bytes, EOM on the last. */
export function encodeMessage(type: number, payload: Buffer, packetSize: number, spid: number): Buffer {
  const room = packetSize - HEADER_LENGTH
  const packets: Buffer[] = []
  let offset = 0
  let packetId = 1
  do {
    const body = payload.subarray(offset, offset + room)
    offset += body.length
    const header = Buffer.alloc(HEADER_LENGTH)
    header.writeUInt8(type, 0)
    header.writeUInt8(offset >= payload.length ? STATUS_EOM : 0, 1)
    header.writeUInt16BE(HEADER_LENGTH + body.length, 2)
    header.writeUInt16BE(spid, 4)
    header.writeUInt8(packetId++ % 256, 6)
    packets.push(header, body)
  } while (offset < payload.length)
  return Buffer.concat(packets)
}
