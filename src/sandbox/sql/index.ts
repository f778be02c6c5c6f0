import type { SqlTarget } from '../../runbook/model.js'
import { sandboxCertificate } from '../certificate.js'
import { createSqlHandler } from './handler.js'
import { startTdsServer, type TdsServer } from './tds/index.js'
import type { SqlWorld } from './world.js'

export { demoSqlWorld } from './demo.js'
export { createSqlHandler } from './handler.js'
export type { AvailabilityGroup, Database, Instance, Replica, Seed } from './model.js'
export {
  type AvailabilityGroupSpec,
  type DatabaseSpec,
  type InstanceSpec,
  type LoginSpec,
  type ReplicaSpec,
  SQL_SERVER_BUILDS,
  type SqlServerRelease,
  SqlWorld,
  type SqlWorldOptions,
} from './world.js'

export interface SqlSandboxOptions {
  world: SqlWorld
  /** Which instances get a TDS server (default: every instance of the world, on 127.0.0.1 and a free port). */
  instances?: { name: string; host?: string; port?: number }[]
  /** Answer ENCRYPT_REQ to clients that did not ask for encryption (SQL Server's Force Encryption). */
  forceEncryption?: boolean
  /** 'none': present no certificate and answer ENCRYPT_NOT_SUP, as a downgrading middlebox would make it look. */
  encryption?: 'tls' | 'none'
}

export interface SqlSandbox {
  instances: Record<string, { host: string; port: number }>
  world: SqlWorld
  /** The TDS server of each instance (sessions, dropAll). */
  servers: Record<string, TdsServer>
  /** The PEM certificate every instance presents (self-signed for localhost and 127.0.0.1): a client's CA. */
  certificate: string
  /** A runbook's `sql:` target for one instance: encrypted, trusting the sandbox's certificate. */
  target(name: string, login: { user?: string; password: string }): SqlTarget
  /** The instance's host goes down: its TDS server stops (connections refused) and the world loses it. */
  takeDown(name: string): Promise<void>
  close(): Promise<void>
}

/** One TDS server per SQL Server instance of the world, each answering as that instance. */
export async function startSqlSandbox(options: SqlSandboxOptions): Promise<SqlSandbox> {
  const { world } = options
  const wanted: { name: string; host?: string; port?: number }[] =
    options.instances ?? world.instances.map((i) => ({ name: i.name }))
  const servers: Record<string, TdsServer> = {}
  const instances: Record<string, { host: string; port: number }> = {}
  const tls = await sandboxCertificate()
  try {
    for (const spec of wanted) {
      const name = world.instance(spec.name).name
      const server = await startTdsServer({
        host: spec.host ?? '127.0.0.1',
        port: spec.port ?? 0,
        handler: createSqlHandler(world, name),
        tls: options.encryption === 'none' ? undefined : tls,
        forceEncryption: options.forceEncryption,
        productVersion: world.instance(name).productVersion,
        fault: (_session, sql) => (world.takeConnectionDrop(name, sql) ? 'drop' : undefined),
      })
      servers[name] = server
      instances[name] = { host: server.host, port: server.port }
    }
  } catch (error) {
    await Promise.all(Object.values(servers).map((s) => s.close()))
    throw error
  }
  return {
    instances,
    world,
    servers,
    certificate: tls.cert,
    target: (name, login) => {
      const at = instances[world.instance(name).name]
      if (!at) throw new Error(`the SQL sandbox serves no instance ${name}`)
      return {
        server: `${at.host},${at.port}`,
        user: login.user ?? 'migrator',
        password: login.password,
        encrypt: true,
        trust_server_certificate: true,
      }
    },
    takeDown: async (name) => {
      const instance = world.instance(name).name
      world.takeDown(instance)
      const server = servers[instance]
      delete servers[instance]
      await server?.close()
    },
    close: async () => {
      await Promise.all(Object.values(servers).map((s) => s.close()))
    },
  }
}
