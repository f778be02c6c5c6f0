import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type IisQuery, queryInScript, RESULT_PREFIX } from '../../steps/iis/iis-script.js'
import type { CommandResponder, CommandResult } from '../aws/ssm/world.js'

export type AppPoolState = 'Started' | 'Stopped' | 'Starting' | 'Stopping'
export type SiteState = 'Started' | 'Stopped' | 'Starting' | 'Stopping'
export type ServiceStatus = 'Running' | 'Stopped' | 'StartPending' | 'StopPending' | 'Paused'

/** One Windows server's IIS, as Get-WebAppPoolState, Get-WebsiteState and Get-Service see it. */
export interface IisServer {
  computerName: string
  appPools: Map<string, AppPoolState>
  sites: Map<string, SiteState>
  services: Map<string, ServiceStatus>
  /** IIS's management module is absent (the Web-Scripting-Tools feature is not installed). */
  moduleMissing: boolean
  /** When set, the script never gets to print its line: PowerShell fails with this instead. */
  scriptFailure?: { stderr: string; exitCode: number }
  /** How long a run of the check takes on this server. */
  durationMs: number
}

export interface IisServerSpec {
  computerName?: string
  appPools?: Record<string, AppPoolState>
  sites?: Record<string, SiteState>
  services?: Record<string, ServiceStatus>
  durationMs?: number
}

const MODULE_MISSING =
  "The specified module 'WebAdministration' was not loaded because no valid module file was found in any module directory."

const notFound = (kind: 'AppPools' | 'Sites', name: string) =>
  `Cannot find path 'IIS:\\${kind}\\${name}' because it does not exist.`

/** What the switchyard IIS script prints on a server, as Windows PowerShell 5.1 would print it. */
function runScript(server: IisServer, query: IisQuery): CommandResult {
  if (server.scriptFailure) return { stdout: '', ...server.scriptFailure, durationMs: server.durationMs }
  const errors = server.moduleMissing ? [`WebAdministration: ${MODULE_MISSING}`] : []
  const items = <S extends string>(names: string[], states: Map<string, S>, kind: 'AppPools' | 'Sites') =>
    names.map((name) => {
      if (server.moduleMissing) return { name, state: 'Unknown' }
      const state = states.get(name)
      return state ? { name, state } : { name, state: 'NotFound', error: notFound(kind, name) }
    })
  const report = {
    v: 1,
    computer: server.computerName,
    app_pools: items(query.app_pools, server.appPools, 'AppPools'),
    sites: items(query.sites, server.sites, 'Sites'),
    services: query.services.map((name) => ({ name, status: server.services.get(name) ?? 'NotFound' })),
    errors,
  }
  return {
    stdout: `${RESULT_PREFIX}${JSON.stringify(report)}\r\n`,
    exitCode: 0,
    durationMs: server.durationMs,
  }
}

export type IisFleet = ReturnType<typeof createIisFleet>

/**
 * The IIS of the sandbox's Windows instances, and the SSM responder that answers iis.health's script
 * from it. Register it with `world.ssm.respond(fleet.responder)`; other commands pass through.
 */
export function createIisFleet() {
  const servers = new Map<string, IisServer>()
  const serverOrThrow = (instanceId: string) => {
    const server = servers.get(instanceId)
    if (!server) throw new Error(`No IIS server ${instanceId} in the sandbox`)
    return server
  }

  const responder: CommandResponder = (instanceId, document, parameters) => {
    if (document !== 'AWS-RunPowerShellScript') return undefined
    const query = queryInScript((parameters.commands ?? []).join('\n'))
    const server = servers.get(instanceId)
    if (!query || !server) return undefined
    return runScript(server, query)
  }

  return {
    responder,

    /** A server with one site and pool Started and IIS's services Running, unless told otherwise. */
    addServer(instanceId: string, spec: IisServerSpec = {}): IisServer {
      const server: IisServer = {
        computerName: spec.computerName ?? `EC2AMAZ-${instanceId.slice(-7).toUpperCase()}`,
        appPools: new Map(Object.entries(spec.appPools ?? { DefaultAppPool: 'Started' })),
        sites: new Map(Object.entries(spec.sites ?? { 'Default Web Site': 'Started' })),
        services: new Map(Object.entries(spec.services ?? { W3SVC: 'Running', WAS: 'Running' })),
        moduleMissing: false,
        durationMs: spec.durationMs ?? 100,
      }
      servers.set(instanceId, server)
      return server
    },

    server(instanceId: string): IisServer | undefined {
      return servers.get(instanceId)
    },

    setAppPool(instanceId: string, name: string, state: AppPoolState): void {
      serverOrThrow(instanceId).appPools.set(name, state)
    },

    setSite(instanceId: string, name: string, state: SiteState): void {
      serverOrThrow(instanceId).sites.set(name, state)
    },

    setService(instanceId: string, name: string, status: ServiceStatus): void {
      serverOrThrow(instanceId).services.set(name, status)
    },

    /** As on a server without the IIS management tools: the script reports the module missing. */
    removeModule(instanceId: string): void {
      serverOrThrow(instanceId).moduleMissing = true
    },

    /** PowerShell itself fails (e.g. blocked by policy): stderr and an exit code, no result line. */
    failScript(instanceId: string, failure: { stderr: string; exitCode?: number } | undefined): void {
      const server = serverOrThrow(instanceId)
      if (failure) server.scriptFailure = { stderr: failure.stderr, exitCode: failure.exitCode ?? 1 }
      else delete server.scriptFailure
    },

    /** Each server's pools, sites and services as plain data. */
    snapshotState() {
      return Object.fromEntries(
        [...servers].map(([id, s]) => [
          id,
          {
            computerName: s.computerName,
            appPools: Object.fromEntries(s.appPools),
            sites: Object.fromEntries(s.sites),
            services: Object.fromEntries(s.services),
            moduleMissing: s.moduleMissing,
            scriptFailure: s.scriptFailure ?? null,
            durationMs: s.durationMs,
          },
        ]),
      )
    },

    /** Whether the server would serve its site: a stopped pool or W3SVC makes http.sys answer 503. */
    serving(instanceId: string): boolean {
      const server = servers.get(instanceId)
      if (!server) return true
      return (
        [...server.appPools.values()].every((s) => s === 'Started') &&
        [...server.sites.values()].every((s) => s === 'Started') &&
        server.services.get('W3SVC') === 'Running'
      )
    },
  }
}

/** How an instance's /health answers; flapping is healthy and unhealthy in turn, a request each. */
export type HealthMode = 'healthy' | 'unhealthy' | 'degraded' | 'flapping'

export interface HealthEndpoint {
  instanceId: string
  /** A loopback address the instance's site listens on, e.g. 127.0.1.5 (the instance's privateIp). */
  address: string
}

export interface IisSandboxOptions {
  instances: HealthEndpoint[]
  /** One port on every address; 0 picks one that is free on all of them. */
  port?: number
  /** When given, a server whose pool, site or W3SVC is not up answers 503 as http.sys does. */
  fleet?: IisFleet
}

interface EndpointState {
  mode: HealthMode
  delayMs: number
  served: number
  /** Host headers of the requests seen, latest last. */
  hosts: string[]
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

const listenOn = (server: Server, address: string, port: number) =>
  new Promise<number>((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(port, address, () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    })
  })

const closeAll = (servers: Server[]) =>
  Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections()
          s.close(() => resolve())
        }),
    ),
  )

/**
 * HTTP health endpoints for sandbox EC2 instances: `/health` on each instance's address, one port
 * for all, answering 200 `{"status":"Healthy","instance":"i-..."}` until a test says otherwise.
 */
export async function startIisSandbox(options: IisSandboxOptions) {
  const states = new Map<string, EndpointState>(
    options.instances.map((i) => [i.instanceId, { mode: 'healthy', delayMs: 0, served: 0, hosts: [] }]),
  )

  const handlerFor = (instanceId: string) => async (req: IncomingMessage, res: ServerResponse) => {
    const state = states.get(instanceId) as EndpointState
    state.hosts.push(req.headers.host ?? '')
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs))
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/health')
      return json(res, 404, { status: 'NotFound', instance: instanceId })
    if (options.fleet && !options.fleet.serving(instanceId)) {
      res.writeHead(503, { 'content-type': 'text/html' })
      return res.end('<h1>Service Unavailable</h1><p>HTTP Error 503. The service is unavailable.</p>')
    }
    const turn = state.served++
    const mode = state.mode === 'flapping' ? (turn % 2 === 0 ? 'healthy' : 'unhealthy') : state.mode
    if (mode === 'healthy') return json(res, 200, { status: 'Healthy', instance: instanceId })
    if (mode === 'degraded')
      return json(res, 200, { status: 'Degraded', instance: instanceId, reason: 'database latency high' })
    return json(res, 503, { status: 'Unhealthy', instance: instanceId, reason: 'dependency check failed' })
  }

  const start = async (port: number) => {
    const servers: Server[] = []
    try {
      for (const { instanceId, address } of options.instances) {
        const server = createServer((req, res) => void handlerFor(instanceId)(req, res))
        servers.push(server)
        port = await listenOn(server, address, port)
      }
      return { servers, port }
    } catch (error) {
      await closeAll(servers)
      throw error
    }
  }

  // A port free on the first address may be taken on another: try again with a fresh one.
  let started: { servers: Server[]; port: number } | undefined
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await start(options.port ?? 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port || attempt >= 10) throw error
    }
  }
  const { servers, port } = started
  const stateOf = (instanceId: string) => {
    const state = states.get(instanceId)
    if (!state) throw new Error(`No health endpoint for ${instanceId} in the IIS sandbox`)
    return state
  }

  return {
    port,
    /** The health URL of each instance. */
    urls: Object.fromEntries(
      options.instances.map((i) => [i.instanceId, `http://${i.address}:${port}/health`]),
    ),
    setHealth(instanceId: string, mode: HealthMode): void {
      const state = stateOf(instanceId)
      state.mode = mode
      state.served = 0
    },
    /** Every answer waits this long first. */
    setDelay(instanceId: string, delayMs: number): void {
      stateOf(instanceId).delayMs = delayMs
    },
    /** How each /health answers, and the requests it has served. */
    snapshotState() {
      return Object.fromEntries(
        [...states].map(([id, s]) => [
          id,
          { mode: s.mode, delayMs: s.delayMs, requests: { served: s.served, hosts: s.hosts.length } },
        ]),
      )
    },
    /** The Host headers the instance's endpoint has seen. */
    hostsSeen(instanceId: string): string[] {
      return [...stateOf(instanceId).hosts]
    },
    close: () => closeAll(servers).then(() => undefined),
  }
}

export type IisSandbox = Awaited<ReturnType<typeof startIisSandbox>>
