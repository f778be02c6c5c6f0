/** The TCP server: one Connection per socket, requests served one at a time, ATTENTION handled out of band. */
import net from 'node:net'
import { asLoginError, loginAcceptedReply, loginRefusedReply, parseLogin7 } from './login.js'
import { encodeMessage, type Message, MessageReader, PacketType } from './packets.js'
import { clientEncryption, Encryption, negotiateEncryption, preloginResponse } from './prelogin.js'
import { asSqlServerError, encodeReply, errorReply, type RequestKind } from './reply.js'
import {
  isOnlySetOptions,
  parseRpc,
  parseSqlBatch,
  parseTransactionRequest,
  type TransactionRequest,
} from './requests.js'
import { PreparedStatements } from './rpc.js'
import { TlsChannel } from './tls.js'
import {
  bVarbyte,
  DoneStatus,
  doneToken,
  EnvChangeType,
  envChangeToken,
  featuresOf,
  type TdsFeatures,
} from './tokens.js'
import type { Parameter, Session, TdsServer, TdsServerOptions } from './types.js'
import { SqlServerError } from './types.js'

const DEFAULT_PACKET_SIZE = 4096
/** SPIDs below 51 belong to system sessions on a real server. */
const FIRST_SPID = 51
/** Server name used before the handler has named one (PRELOGIN, a refused login). */
const DEFAULT_SERVER_NAME = 'switchyard'

/** The request being served; ATTENTION flips `cancelled` and aborts the handler's signal. */
interface InFlight {
  controller: AbortController
  cancelled: boolean
}

class Connection {
  session: Session | undefined
  private readonly reader = new MessageReader()
  private packetSize = DEFAULT_PACKET_SIZE
  private queue: Promise<void> = Promise.resolve()
  private inFlight: InFlight | undefined
  private transactionDescriptor: Buffer | undefined
  private nextTransactionId = 1n
  private readonly prepared = new PreparedStatements()
  private tls: TlsChannel | undefined
  private firstChunk = true
  /** The TDS version agreed at login; TDS 7.1 requests carry no ALL_HEADERS. */
  private tdsVersion = 0x74000004

  private get features(): TdsFeatures {
    return featuresOf(this.tdsVersion)
  }

  private get allHeaders(): boolean {
    return this.tdsVersion === TDS_8 || this.tdsVersion >= 0x72000000
  }

  constructor(
    readonly socket: net.Socket,
    private readonly spid: number,
    private readonly options: TdsServerOptions,
  ) {
    socket.on('data', (chunk) => this.fromWire(chunk))
    // A client that vanishes mid-reply is normal (pool shutdown, fault tests); its error must not crash the server
    socket.on('error', () => {})
    socket.on('close', () => this.inFlight?.controller.abort())
  }

  /** TDS 8 (strict) starts with a TLS ClientHello instead of a PRELOGIN packet. */
  private fromWire(chunk: Buffer): void {
    if (this.firstChunk) {
      this.firstChunk = false
      const TLS_HANDSHAKE = 0x16
      if (chunk[0] === TLS_HANDSHAKE && this.options.tls) this.startTls('strict')
    }
    if (this.tls && !this.tls.wrapping) this.tls.feed(chunk)
    else this.receive(chunk)
  }

  private startTls(mode: 'prelogin' | 'strict'): void {
    const credentials = this.options.tls
    if (!credentials) return
    this.tls = new TlsChannel(credentials, mode, {
      sendFlight: (flight) =>
        this.socket.write(encodeMessage(PacketType.prelogin, flight, this.packetSize, 0)),
      sendRecords: (records) => {
        if (!this.socket.destroyed) this.socket.write(records)
      },
      receive: (plain) => this.receive(plain),
      fail: () => this.socket.destroy(),
    })
  }

  private receive(chunk: Buffer): void {
    let messages: Message[]
    try {
      messages = this.reader.push(chunk)
    } catch {
      this.socket.destroy()
      return
    }
    for (const message of messages) {
      // During the TDS 7.x handshake, each PRELOGIN message carries one TLS flight from the client
      if (message.type === PacketType.prelogin && this.tls?.wrapping) {
        this.tls.feed(message.payload)
        continue
      }
      if (message.type === PacketType.attention) {
        this.onAttention()
        continue
      }
      const inFlight = { controller: new AbortController(), cancelled: false }
      this.queue = this.queue
        .then(() => {
          this.inFlight = inFlight
          return this.serve(message, inFlight)
        })
        .catch(() => {
          // A malformed or out-of-order message leaves nothing sensible to answer: end the session like a server would
          this.socket.destroy()
        })
    }
  }

  /** tedious discards one reply to the cancelled request, then waits for a separate message holding DONE(ATTN). */
  private onAttention(): void {
    if (this.inFlight) {
      this.inFlight.cancelled = true
      this.inFlight.controller.abort()
      return
    }
    this.write(doneToken('done', DoneStatus.attention, 0, this.features))
  }

  private write(payload: Buffer): void {
    if (this.socket.destroyed) return
    const bytes = encodeMessage(PacketType.tabularResult, payload, this.packetSize, this.spid)
    if (this.tls && !this.tls.wrapping) this.tls.write(bytes)
    else this.socket.write(bytes)
  }

  /** Sends a request's reply, or on ATTENTION a stand-in reply followed by the acknowledgement. */
  private finish(inFlight: InFlight, reply: Buffer): void {
    this.inFlight = undefined
    if (!inFlight.cancelled) {
      this.write(reply)
      return
    }
    this.write(doneToken('done', DoneStatus.error, 0, this.features))
    this.write(doneToken('done', DoneStatus.attention, 0, this.features))
  }

  /** Asks the fault hook about a request; 'drop' resets the socket so the client sees the connection die mid-request. */
  private faultDrops(session: Session, sql: string): boolean {
    if (this.options.fault?.(session, sql) !== 'drop') return false
    this.socket.resetAndDestroy()
    return true
  }

  private async serve(message: Message, inFlight: InFlight): Promise<void> {
    if (message.type === PacketType.prelogin) return this.prelogin(message.payload, inFlight)
    if (message.type === PacketType.login7) return this.login(message.payload, inFlight)
    const session = this.session
    if (!session) throw new Error(`request type ${message.type} before login`)
    // The client abandoned this request part-way through sending it: discard it, answer with a bare DONE
    if (message.ignored) return this.finish(inFlight, doneToken('done', DoneStatus.error, 0, this.features))
    if (message.type === PacketType.transactionManager)
      return this.manageTransaction(message.payload, session, inFlight)
    if (message.type !== PacketType.sqlBatch && message.type !== PacketType.rpc) {
      throw new Error(`unsupported TDS message type 0x${message.type.toString(16)}`)
    }
    const kind: RequestKind = message.type === PacketType.sqlBatch ? 'batch' : 'rpc'
    let request: { sql: string | undefined; params: Parameter[]; outputs: { name: string; value: number }[] }
    try {
      if (kind === 'batch')
        request = { sql: parseSqlBatch(message.payload, this.allHeaders), params: [], outputs: [] }
      else {
        const call = parseRpc(message.payload, this.allHeaders)
        request = this.prepared.resolve(call.procedure, call.params)
      }
    } catch (error) {
      return this.finish(
        inFlight,
        errorReply(asSqlServerError(error), kind, session.serverName, this.features),
      )
    }
    const { sql, params, outputs } = request
    // sp_prepare and sp_unprepare run nothing: they answer with the handle alone
    if (sql === undefined)
      return this.finish(
        inFlight,
        encodeReply({ returnValues: outputs }, kind, session.serverName, this.features),
      )
    if (this.faultDrops(session, sql)) return
    this.finish(
      inFlight,
      await this.execute(session, kind, { sql, params, outputs }, inFlight.controller.signal),
    )
  }

  private async execute(
    session: Session,
    kind: RequestKind,
    request: { sql: string; params: Parameter[]; outputs: { name: string; value: number }[] },
    signal: AbortSignal,
  ): Promise<Buffer> {
    // Session options are accepted without involving the handler: they change nothing a stand-in models
    if (kind === 'batch' && isOnlySetOptions(request.sql))
      return doneToken('done', DoneStatus.final, 0, this.features)
    try {
      const reply = await this.options.handler.execute(session, request.sql, request.params, signal)
      return encodeReply({ ...reply, returnValues: request.outputs }, kind, session.serverName, this.features)
    } catch (error) {
      return errorReply(asSqlServerError(error), kind, session.serverName, this.features)
    }
  }

  /** Answers PRELOGIN; when both sides agree on encryption, the TLS handshake follows inside PRELOGIN messages. */
  private prelogin(payload: Buffer, inFlight: InFlight): void {
    const client = clientEncryption(payload)
    const strict = this.tls !== undefined
    const answer = strict
      ? Encryption.on
      : negotiateEncryption(client, {
          tls: !!this.options.tls,
          forceEncryption: !!this.options.forceEncryption,
        })
    this.finish(inFlight, preloginResponse(answer, this.options.productVersion))
    if (!strict && (answer === Encryption.on || answer === Encryption.required)) this.startTls('prelogin')
  }

  private async login(payload: Buffer, inFlight: InFlight): Promise<void> {
    const { packetSize, credentials: login, tdsVersion } = parseLogin7(payload)
    this.tdsVersion = agreedTdsVersion(tdsVersion)
    this.packetSize = Math.min(Math.max(packetSize, 512), 32767)
    try {
      const accepted = await this.options.handler.login(login)
      const database = accepted.database ?? (login.database || 'master')
      this.session = {
        id: this.spid,
        encrypted: this.tls !== undefined,
        tdsVersion: this.tdsVersion,
        clientAddress: this.socket.remoteAddress ?? '',
        clientPort: this.socket.remotePort ?? 0,
        user: login.user,
        database,
        appName: login.appName,
        serverName: accepted.serverName,
      }
      this.finish(
        inFlight,
        loginAcceptedReply(
          accepted.serverName,
          database,
          this.packetSize,
          this.tdsVersion,
          this.options.productVersion,
        ),
      )
    } catch (error) {
      this.finish(
        inFlight,
        loginRefusedReply(asLoginError(error, login.user), DEFAULT_SERVER_NAME, this.tdsVersion),
      )
      this.socket.end()
    }
  }

  /** BEGIN/COMMIT/ROLLBACK via TRANSACTION_MANAGER are acknowledged here; the handler does not see them. */
  private manageTransaction(payload: Buffer, session: Session, inFlight: InFlight): void {
    let request: TransactionRequest
    try {
      request = parseTransactionRequest(payload)
    } catch (error) {
      return this.finish(
        inFlight,
        errorReply(asSqlServerError(error), 'batch', session.serverName, this.features),
      )
    }
    if (this.faultDrops(session, `${request.toUpperCase()} TRANSACTION`)) return
    const none = bVarbyte(Buffer.alloc(0))
    const done = doneToken('done', DoneStatus.final, 0, this.features)
    if (request === 'begin') {
      const descriptor = Buffer.alloc(8)
      descriptor.writeBigUInt64LE(this.nextTransactionId++)
      this.transactionDescriptor = descriptor
      return this.finish(
        inFlight,
        Buffer.concat([envChangeToken(EnvChangeType.beginTransaction, bVarbyte(descriptor), none), done]),
      )
    }
    if (request === 'save') return this.finish(inFlight, done)
    const descriptor = this.transactionDescriptor
    if (!descriptor) {
      const error =
        request === 'commit'
          ? new SqlServerError(3902, 'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.')
          : new SqlServerError(
              3903,
              'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.',
            )
      return this.finish(inFlight, errorReply(error, 'batch', session.serverName, this.features))
    }
    this.transactionDescriptor = undefined
    const type = request === 'commit' ? EnvChangeType.commitTransaction : EnvChangeType.rollbackTransaction
    this.finish(inFlight, Buffer.concat([envChangeToken(type, none, bVarbyte(descriptor)), done]))
  }
}

function validate(options: TdsServerOptions): void {
  if (typeof options?.handler?.execute !== 'function' || typeof options.handler.login !== 'function') {
    throw new TypeError('startTdsServer needs options.handler with login() and execute() functions')
  }
  if (options.tls && (!options.tls.key || !options.tls.cert)) {
    throw new TypeError('startTdsServer: options.tls needs the PEM key and cert of the server certificate')
  }
}

/** The TDS versions SQL Server 2016-2022 answer with (MS-TDS 2.2.6.4), by what the client asked for. */
const TDS_VERSIONS = [0x71000001, 0x72090002, 0x730a0003, 0x730b0003, 0x74000004]
const TDS_8 = 0x08000000

function agreedTdsVersion(asked: number): number {
  if (asked === TDS_8 || TDS_VERSIONS.includes(asked)) return asked
  return TDS_VERSIONS.filter((v) => v <= asked).at(-1) ?? 0x71000001
}

/** Starts a TDS 7.4 server on host (default 127.0.0.1) and port (default: any free port). */
export async function startTdsServer(options: TdsServerOptions): Promise<TdsServer> {
  validate(options)
  const connections = new Set<Connection>()
  let nextSpid = FIRST_SPID
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    const connection = new Connection(socket, nextSpid++, options)
    connections.add(connection)
    socket.on('close', () => connections.delete(connection))
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as net.AddressInfo
  const dropAll = () => {
    for (const connection of connections) connection.socket.resetAndDestroy()
  }
  return {
    port: address.port,
    host,
    sessions: () =>
      [...connections].flatMap((connection) => (connection.session ? [{ ...connection.session }] : [])),
    dropAll,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        dropAll()
      }),
  }
}
