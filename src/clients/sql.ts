import type { ConnectionPool, IResult, config as MssqlConfig } from 'mssql'
import pRetry from 'p-retry'
import { ExitCode, SwitchyardError } from '../errors.js'
import { parseDuration } from '../runbook/duration.js'
import type { SqlTarget } from '../runbook/model.js'
import { stepScope } from './step-scope.js'

/** A value bound as a parameter (never spliced into the text): strings go as nvarchar, numbers as int/bigint. */
export type SqlValue = string | number | boolean | null

/** A statement that changes a SQL Server, run during a dry run or plan: refused before it is sent. */
export class SqlDryRunViolation extends SwitchyardError {
  constructor(step: string, what: string) {
    super(`dry run: step ${step} tried to ${what} on SQL Server; it was refused and nothing was sent`, {
      exitCode: ExitCode.runFailed,
      hint: "a step's plan must only read; this is a bug in that step type",
    })
  }
}

/** A connection or query failure, naming the target, the address and the driver's reason. */
export class SqlTargetError extends SwitchyardError {
  constructor(
    readonly target: string,
    readonly address: string,
    message: string,
    readonly number?: number,
    readonly code?: string,
  ) {
    super(`sql target ${target} (${address}): ${message}`, {
      hint:
        number === 18456 || code === 'ELOGIN'
          ? 'check the login and its password (the secret the target reads)'
          : code === 'EENCRYPT'
            ? 'give the server a certificate (or find what strips TLS on the way); set encrypt: false only if plaintext is meant'
            : undefined,
    })
  }
}

/** One SQL Server, as the steps see it: reads anytime, changes only outside dry runs. */
export interface SqlConnection {
  readonly target: string
  readonly address: string
  /** SELECTs and DMV reads, with values bound as parameters. Allowed in dry runs. */
  read<T = Record<string, unknown>>(query: string, params?: Record<string, SqlValue>): Promise<T[]>
  /** Several result sets from one read. */
  readSets(query: string, params?: Record<string, SqlValue>): Promise<Array<Record<string, unknown>[]>>
  /**
   * DDL, BACKUP/RESTORE, failover: refused in a dry run. `what` names the change for errors and the
   * dry-run guard; `timeoutMs` raises the request timeout for slow statements (JOIN, BACKUP, FAILOVER).
   */
  change(what: string, query: string, params?: Record<string, SqlValue>, timeoutMs?: number): Promise<void>
}

/**
 * Where a target connects: `server` may carry the port the way SQL Server tools write it
 * (`host,1433`, optionally `tcp:host,1433`); an explicit `port` wins.
 */
export function endpointOf(target: SqlTarget): { host: string; port: number | undefined } {
  const match = /^(?:tcp:)?(.+),(\d{1,5})$/i.exec(target.server)
  if (match) return { host: match[1] as string, port: target.port ?? Number(match[2]) }
  return { host: target.server.replace(/^tcp:/i, ''), port: target.port }
}

export function addressOf(target: SqlTarget): string {
  const { host, port } = endpointOf(target)
  if (target.instance) return `${host}\\${target.instance}`
  return `${host}:${port ?? 1433}`
}

/** The driver configuration for a target: mssql's names, with switchyard's defaults. */
export function mssqlConfig(target: SqlTarget): MssqlConfig {
  const domain = target.domain
  const { host, port } = endpointOf(target)
  return {
    server: host,
    ...(port !== undefined ? { port } : {}),
    database: target.database ?? 'master',
    ...(domain !== undefined
      ? {
          authentication: {
            type: 'ntlm',
            options: { domain, userName: target.user, password: target.password },
          },
        }
      : { user: target.user, password: target.password }),
    connectionTimeout: target.connect_timeout ? parseDuration(target.connect_timeout) : 15_000,
    requestTimeout: target.request_timeout ? parseDuration(target.request_timeout) : 30_000,
    pool: { min: 0, max: 4, idleTimeoutMillis: 30_000 },
    options: {
      encrypt: target.encrypt ?? true,
      trustServerCertificate: target.trust_server_certificate ?? false,
      multiSubnetFailover: target.multi_subnet_failover ?? target.listener === true,
      appName: 'switchyard',
      ...(target.instance ? { instanceName: target.instance } : {}),
    },
  }
}

/** Drivers' errors carry a number (SQL Server's) or a code (ELOGIN, ETIMEOUT, ESOCKET...). */
export function driverReason(error: unknown): { message: string; number?: number; code?: string } {
  const e = error as {
    message?: string
    number?: number
    code?: string
    originalError?: { message?: string }
    precedingErrors?: { message?: string; number?: number }[]
  }
  const message = e?.message ?? String(error)
  // SQL Server says what went wrong in the errors before the last (RESTORE: 5133, 3156, 3119, then 3013)
  const before = (e?.precedingErrors ?? []).map((p) => `error ${p.number}: ${p.message} `).join('')
  return {
    message:
      e?.number !== undefined
        ? `${before}error ${e.number}: ${message}`
        : e?.code
          ? `${e.code}: ${message}`
          : message,
    ...(typeof e?.number === 'number' ? { number: e.number } : {}),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  }
}

/**
 * One connection pool per SQL target per invocation, built on first use and closed when the
 * invocation ends. mssql is imported only here, and only when a SQL step runs.
 */
export class SqlConnections {
  private readonly pools = new Map<string, Promise<ConnectionPool>>()

  constructor(private readonly redact: (text: string) => string = (text) => text) {}

  /** The SQL target named `name` (its spec with expressions resolved), connected. */
  async connect(name: string, target: SqlTarget | undefined): Promise<SqlConnection> {
    if (!target)
      throw new SwitchyardError(`no sql target is named ${name}`, {
        exitCode: ExitCode.invalidInput,
        hint: 'declare it under targets: with sql: { server, user, password }',
      })
    const address = addressOf(target)
    const fail = (error: unknown): never => {
      if (error instanceof SqlTargetError) throw error
      const reason = driverReason(error)
      throw new SqlTargetError(name, address, this.redact(reason.message), reason.number, reason.code)
    }
    let pool = this.pools.get(name)
    if (!pool) {
      pool = import('mssql').then(async ({ default: mssql }) => {
        const created = new mssql.ConnectionPool(mssqlConfig(target))
        // A pool emits 'error' for a connection that dies idle; the next request reconnects.
        created.on('error', () => {})
        await created.connect()
        if (target.encrypt !== false)
          await requireEncryption(created, name, address).catch(async (error) => {
            await created.close()
            throw error
          })
        return created
      })
      this.pools.set(name, pool)
      pool.catch(() => this.pools.delete(name))
    }
    const connected = await pool.catch(fail)
    const request = async (query: string, params: Record<string, SqlValue>, timeoutMs?: number) => {
      const { default: mssql } = await import('mssql')
      const req = connected.request()
      if (timeoutMs !== undefined) (req as unknown as { requestTimeout?: number }).requestTimeout = timeoutMs
      for (const [key, value] of Object.entries(params)) bind(mssql, req, key, value)
      return req.query(query).catch(fail) as Promise<IResult<Record<string, unknown>>>
    }
    return {
      target: name,
      address,
      read: async <T>(query: string, params: Record<string, SqlValue> = {}) =>
        (await rereading(() => request(query, params))).recordset as unknown as T[],
      readSets: async (query, params = {}) =>
        (await rereading(() => request(query, params))).recordsets as unknown as Array<
          Record<string, unknown>[]
        >,
      change: async (what, query, params = {}, timeoutMs) => {
        const scope = stepScope.getStore()
        if (scope?.dryRun) throw new SqlDryRunViolation(scope.step, what)
        await request(query, params, timeoutMs)
      },
    }
  }

  /** Closes every pool (at the end of a run, resume or rollback). */
  async destroy(): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map((p) => p.then((pool) => pool.close()).catch(() => {})))
  }
}

/**
 * tedious 19 goes on in plaintext when encrypt is true and the server answers that it cannot encrypt: the session
 * the pool opened says whether TLS protects it, and a plaintext one is refused before any statement is sent.
 */
async function requireEncryption(pool: ConnectionPool, name: string, address: string): Promise<void> {
  const result = await pool
    .request()
    .query<{ encrypt_option: string }>(
      'SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID',
    )
    .catch((error: unknown) => {
      throw new SqlTargetError(
        name,
        address,
        `cannot confirm the session is encrypted: ${driverReason(error).message}`,
      )
    })
  const option = result.recordset[0]?.encrypt_option
  if (option !== 'TRUE')
    throw new SqlTargetError(
      name,
      address,
      'encryption was asked for (encrypt: true) but the server answered in plaintext; nothing was sent but the login',
      undefined,
      'EENCRYPT',
    )
}

/** Socket-level failures: the pool opens a new connection for the next request. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'ECONNCLOSED', 'ESOCKET'])

/**
 * Reads change nothing, so a read cut off by a dropped connection is sent again (twice at most)
 * on a fresh connection; a change is never re-sent blindly, since it may have committed.
 */
function rereading<T>(read: () => Promise<T>): Promise<T> {
  return pRetry(read, {
    retries: 2,
    minTimeout: 0,
    shouldRetry: ({ error }) => CONNECTION_LOST.has((error as SqlTargetError).code ?? ''),
    onFailedAttempt: ({ retriesLeft }) => {
      if (retriesLeft > 0)
        stepScope.getStore()?.progress('SQL Server connection dropped; reading again on a new connection')
    },
  })
}

type Mssql = typeof import('mssql')
type Request = ReturnType<ConnectionPool['request']>

function bind(mssql: Mssql, req: Request, key: string, value: SqlValue): void {
  if (value === null) req.input(key, mssql.NVarChar, null)
  else if (typeof value === 'string') req.input(key, mssql.NVarChar(4000), value)
  else if (typeof value === 'boolean') req.input(key, mssql.Bit, value)
  else if (Number.isInteger(value))
    req.input(key, Math.abs(value) > 2_147_483_647 ? mssql.BigInt : mssql.Int, value)
  else req.input(key, mssql.Float, value)
}
