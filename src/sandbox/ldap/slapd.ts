// Two throwaway OpenLDAP servers, a provider and a syncrepl consumer (refreshAndPersist), standing in for
// an on-premises domain controller and its AWS replica. Recipe: shared/reference/ad-iis.md, part 2.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from 'ldapts'
import { type DirectoryState, readDirectory } from './directory-state.js'

export const SLAPD = '/usr/sbin/slapd'
const SCHEMAS = ['core', 'cosine', 'inetorgperson'].map((s) => `/etc/ldap/schema/${s}.schema`)

/** Why slapd cannot run here, or undefined when it can. */
export function slapdMissing(): string | undefined {
  if (!existsSync(SLAPD)) return `${SLAPD} not found (Debian: apt-get install slapd ldap-utils)`
  const schema = SCHEMAS.find((s) => !existsSync(s))
  return schema ? `${schema} not found` : undefined
}

/** A port free now; slapd cannot report an ephemeral port, so there is a small race (ref 2.6.6). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()))
    })
  })
}

/** One entry as ldapts adds it. */
export interface SeedEntry {
  dn: string
  attributes: Record<string, string | string[]>
}

/** Entries carrying this `ou` value stay on the provider: the consumer's syncrepl filters them out. */
export const NOT_REPLICATED = 'switchyard-not-replicated'

export interface SlapdPairOptions {
  /** An empty folder for both servers' configs and databases. */
  dir: string
  providerPort?: number
  consumerPort?: number
  suffix?: string
  password?: string
  /** Added on the provider, below the suffix entry, before the consumer starts. */
  seed?: SeedEntry[]
  /** PEM files; with them each server also speaks StartTLS on its ldap:// url and listens on ldaps://. */
  tls?: SlapdTls
  providerTlsPort?: number
  consumerTlsPort?: number
}

export interface SlapdTls {
  certFile: string
  keyFile: string
  caFile: string
}

export interface SlapdServer {
  /** Plain LDAP (StartTLS-capable when the pair has tls). */
  url: string
  /** `ldaps://127.0.0.1:<port>` when the pair was started with tls. */
  ldapsUrl?: string
  running(): boolean
}

export interface SlapdPair {
  suffix: string
  adminDn: string
  password: string
  provider: SlapdServer
  consumer: SlapdServer
  stopConsumer(): Promise<void>
  startConsumer(): Promise<void>
  /** Resolves once the consumer's contextCSN equals the provider's. */
  waitConverged(timeoutMs?: number): Promise<void>
  /** A client bound as the admin to the provider (the only writable one); the caller unbinds it. */
  providerClient(): Promise<Client>
  /** Both directories' entries, as each server holds them now. */
  snapshotState(): Promise<{ provider: DirectoryState | 'stopped'; consumer: DirectoryState | 'stopped' }>
  close(): Promise<void>
}

interface ServerConfig {
  suffix: string
  adminDn: string
  password: string
  syncrepl?: string
  tls?: SlapdTls
}

function config(dir: string, o: ServerConfig) {
  return [
    ...SCHEMAS.map((s) => `include ${s}`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(o.syncrepl ? [] : ['moduleload syncprov']),
    ...(o.tls
      ? [
          `TLSCACertificateFile ${o.tls.caFile}`,
          `TLSCertificateFile ${o.tls.certFile}`,
          `TLSCertificateKeyFile ${o.tls.keyFile}`,
        ]
      : []),
    '',
    'database mdb',
    'maxsize 104857600',
    `suffix "${o.suffix}"`,
    `rootdn "${o.adminDn}"`,
    `rootpw ${o.password}`,
    `directory ${join(dir, 'db')}`,
    'index objectClass,entryCSN,entryUUID eq',
    ...(o.syncrepl ? [o.syncrepl] : ['overlay syncprov', 'syncprov-checkpoint 100 10']),
    '',
  ].join('\n')
}

// A test process that dies without close() must not leave slapd listening: kill what is still ours.
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

class Slapd implements SlapdServer {
  readonly url: string
  readonly ldapsUrl?: string
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()
  private stderr = ''

  constructor(
    private readonly conf: string,
    port: number,
    tlsPort?: number,
  ) {
    this.url = `ldap://127.0.0.1:${port}`
    if (tlsPort !== undefined) this.ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`
  }

  running(): boolean {
    return this.child !== undefined
  }

  async start(): Promise<void> {
    this.stderr = ''
    const listen = [this.url, ...(this.ldapsUrl ? [this.ldapsUrl] : [])].map((u) => `${u}/`).join(' ')
    const child = spawn(SLAPD, ['-f', this.conf, '-h', listen, '-d', 'none'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    child.stderr?.on('data', (d) => {
      this.stderr += d
    })
    this.child = child
    children.add(child)
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    let gone = false
    void this.exited.then(() => {
      gone = true
      children.delete(child)
      if (this.child === child) this.child = undefined
    })
    const deadline = performance.now() + 10_000
    for (;;) {
      if (gone) throw new Error(`slapd on ${this.url} exited at start: ${this.stderr.trim() || 'no message'}`)
      if (await answers(this.url)) return
      if (performance.now() > deadline) {
        await this.stop()
        throw new Error(`slapd on ${this.url} did not answer within 10s: ${this.stderr.trim()}`)
      }
      await sleep(50)
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  async stop(): Promise<void> {
    const child = this.child
    if (!child) return
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await this.exited
    clearTimeout(killer)
    this.child = undefined
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ url, timeout: 1000, connectTimeout: 1000 })
  try {
    await client.search('', { scope: 'base', attributes: ['1.1'] })
    return true
  } catch {
    return false
  } finally {
    await client.unbind().catch(() => {})
  }
}

/**
 * Starts a provider, seeds it, then starts the consumer and waits until both hold the same data.
 * The consumer replicates everything below the suffix except entries marked NOT_REPLICATED.
 */
export async function startSlapdPair(options: SlapdPairOptions): Promise<SlapdPair> {
  const suffix = options.suffix ?? 'dc=corp,dc=example'
  const adminDn = `cn=admin,${suffix}`
  const password = options.password ?? 'secret'
  const providerPort = options.providerPort ?? (await freePort())
  const consumerPort = options.consumerPort ?? (await freePort())
  const { tls } = options
  const providerTlsPort = tls ? (options.providerTlsPort ?? (await freePort())) : undefined
  const consumerTlsPort = tls ? (options.consumerTlsPort ?? (await freePort())) : undefined
  const dirs = { provider: join(options.dir, 'provider'), consumer: join(options.dir, 'consumer') }
  for (const dir of Object.values(dirs)) mkdirSync(join(dir, 'db'), { recursive: true })
  const provider = new Slapd(join(dirs.provider, 'slapd.conf'), providerPort, providerTlsPort)
  const consumer = new Slapd(join(dirs.consumer, 'slapd.conf'), consumerPort, consumerTlsPort)
  writeFileSync(join(dirs.provider, 'slapd.conf'), config(dirs.provider, { suffix, adminDn, password, tls }))
  // Continuation lines begin with whitespace; retry "1 +" so a restart catches up within a second.
  const syncrepl = [
    'syncrepl rid=001',
    `  provider=${provider.url}`,
    '  type=refreshAndPersist',
    '  retry="1 +"',
    `  searchbase="${suffix}"`,
    '  scope=sub',
    `  filter="(!(ou=${NOT_REPLICATED}))"`,
    '  schemachecking=off',
    '  bindmethod=simple',
    `  binddn="${adminDn}"`,
    `  credentials=${password}`,
  ].join('\n')
  writeFileSync(
    join(dirs.consumer, 'slapd.conf'),
    config(dirs.consumer, { suffix, adminDn, password, syncrepl, tls }),
  )

  const providerClient = async () => {
    const client = new Client({ url: provider.url, timeout: 5000, connectTimeout: 5000 })
    await client.bind(adminDn, password)
    return client
  }
  const contextCsn = async (url: string): Promise<string> => {
    const client = new Client({ url, timeout: 2000, connectTimeout: 2000 })
    try {
      await client.bind(adminDn, password)
      const { searchEntries } = await client.search(suffix, { scope: 'base', attributes: ['contextCSN'] })
      return [searchEntries[0]?.contextCSN ?? []].flat().map(String).sort().join(' ')
    } catch {
      return ''
    } finally {
      await client.unbind().catch(() => {})
    }
  }

  const pair: SlapdPair = {
    suffix,
    adminDn,
    password,
    provider,
    consumer,
    stopConsumer: () => consumer.stop(),
    startConsumer: () => consumer.start(),
    async waitConverged(timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const [p, c] = await Promise.all([contextCsn(provider.url), contextCsn(consumer.url)])
        if (p !== '' && p === c) return
        if (performance.now() > deadline)
          throw new Error(
            `consumer did not catch up within ${timeoutMs} ms (contextCSN ${p || '-'} vs ${c || '-'})`,
          )
        await sleep(25)
      }
    },
    providerClient,
    async snapshotState() {
      const bind = { dn: adminDn, password }
      const read = (server: SlapdServer) =>
        server.running() ? readDirectory(server.url, bind, suffix) : Promise.resolve('stopped' as const)
      const [onProvider, onConsumer] = await Promise.all([read(provider), read(consumer)])
      return { provider: onProvider, consumer: onConsumer }
    },
    async close() {
      await consumer.stop()
      await provider.stop()
    },
  }

  try {
    await provider.start()
    const client = await providerClient()
    try {
      const dc = /^dc=([^,]+)/i.exec(suffix)?.[1] ?? 'corp'
      await client.add(suffix, { objectClass: ['top', 'dcObject', 'organization'], o: dc, dc })
      for (const entry of options.seed ?? []) await client.add(entry.dn, entry.attributes)
    } finally {
      await client.unbind()
    }
    await consumer.start()
    await pair.waitConverged()
  } catch (error) {
    await pair.close()
    throw error
  }
  return pair
}
