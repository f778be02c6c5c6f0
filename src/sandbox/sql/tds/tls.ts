/**
 * TLS as SQL Server speaks it. TDS 7.x: after PRELOGIN agrees on encryption, the TLS handshake travels inside
 * PRELOGIN (0x12) messages, one message per flight each way; then TLS records carry the TDS packets unwrapped for the
 * rest of the session. TDS 8 (strict): TLS from the first byte, ALPN tds/8.0, PRELOGIN inside it.
 */
import { Duplex } from 'node:stream'
import tls from 'node:tls'

export interface TlsCredentials {
  key: string
  cert: string
}

const RECORD = { changeCipherSpec: 20, alert: 21, handshake: 22 } as const
const SERVER_HELLO_DONE = 14

/**
 * Tells when the server has written a whole handshake flight, from the TLS 1.2 records it wrote: the first flight
 * ends with ServerHelloDone; the last ends with the encrypted Finished after ChangeCipherSpec (abbreviated
 * handshakes too); an alert ends whatever flight it is in.
 */
class FlightReader {
  private pending = Buffer.alloc(0)
  private afterChangeCipherSpec = false

  /** Adds written bytes; returns 'flight' at a flight's end, 'finished' at the handshake's, else undefined. */
  push(bytes: Buffer): 'flight' | 'finished' | undefined {
    this.pending = Buffer.concat([this.pending, bytes])
    let result: 'flight' | 'finished' | undefined
    while (this.pending.length >= 5) {
      const type = this.pending.readUInt8(0)
      const length = this.pending.readUInt16BE(3)
      if (this.pending.length < 5 + length) break
      const body = this.pending.subarray(5, 5 + length)
      this.pending = this.pending.subarray(5 + length)
      if (type === RECORD.changeCipherSpec) this.afterChangeCipherSpec = true
      else if (type === RECORD.alert) result = 'flight'
      else if (type === RECORD.handshake && this.afterChangeCipherSpec) result = 'finished'
      else if (type === RECORD.handshake && hasServerHelloDone(body)) result = 'flight'
    }
    return result
  }
}

function hasServerHelloDone(handshake: Buffer): boolean {
  for (let at = 0; at + 4 <= handshake.length; at += 4 + handshake.readUIntBE(at + 1, 3)) {
    if (handshake.readUInt8(at) === SERVER_HELLO_DONE) return true
  }
  return false
}

export interface TlsChannelHooks {
  /** A handshake flight, to send as one PRELOGIN message (TDS 7.x only). */
  sendFlight(bytes: Buffer): void
  /** TLS records to put on the wire as they are. */
  sendRecords(bytes: Buffer): void
  /** Decrypted TDS bytes from the client. */
  receive(bytes: Buffer): void
  /** The handshake failed or the client went away mid-session. */
  fail(error: Error): void
}

/** The server end of one connection's TLS session, over whatever carries its records. */
export class TlsChannel {
  private readonly flights: FlightReader | undefined
  private wrapped: Buffer[] = []
  /** True while handshake records still travel inside PRELOGIN messages. */
  wrapping: boolean
  private readonly socket: tls.TLSSocket

  constructor(
    credentials: TlsCredentials,
    mode: 'prelogin' | 'strict',
    private readonly hooks: TlsChannelHooks,
  ) {
    this.wrapping = mode === 'prelogin'
    this.flights = mode === 'prelogin' ? new FlightReader() : undefined
    const wire = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, done) => {
        this.written(chunk)
        done()
      },
    })
    this.carrier = wire
    this.socket = new tls.TLSSocket(wire, {
      isServer: true,
      secureContext: tls.createSecureContext({
        ...credentials,
        // SQL Server speaks TLS 1.2 inside PRELOGIN; TDS 8 allows 1.3
        maxVersion: mode === 'prelogin' ? 'TLSv1.2' : 'TLSv1.3',
        minVersion: 'TLSv1.2',
      }),
      ALPNProtocols: mode === 'strict' ? ['tds/8.0'] : undefined,
    })
    this.socket.on('data', (plain: Buffer) => hooks.receive(plain))
    this.socket.on('error', (error) => hooks.fail(error))
  }

  private readonly carrier: Duplex

  private written(chunk: Buffer): void {
    if (!this.flights || !this.wrapping) {
      this.hooks.sendRecords(chunk)
      return
    }
    this.wrapped.push(chunk)
    const end = this.flights.push(chunk)
    if (!end) return
    const flight = Buffer.concat(this.wrapped)
    this.wrapped = []
    if (end === 'finished') this.wrapping = false
    this.hooks.sendFlight(flight)
  }

  /** Bytes of TLS records from the client: a PRELOGIN payload during the handshake, raw bytes after it. */
  feed(records: Buffer): void {
    this.carrier.push(records)
  }

  /** Encrypts TDS bytes for the client. */
  write(plain: Buffer): void {
    this.socket.write(plain)
  }

  destroy(): void {
    this.socket.destroy()
  }
}
