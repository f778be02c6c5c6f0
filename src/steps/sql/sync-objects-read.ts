import type { SqlConnection } from '../../clients/sql.js'

/** What an instance holds outside its databases, read the same way from the source and the replica. */

export interface LoginObject {
  kind: 'login'
  name: string
  type: 'SQL_LOGIN' | 'WINDOWS_LOGIN' | 'WINDOWS_GROUP'
  /** 0x… of the SID: not a secret, and what keeps database users mapped after failover. */
  sid: string
  /** Secret-grade (an offline guess turns it into the password): compared and sent, never printed or journaled. */
  passwordHash: Buffer | null
  disabled: boolean
  defaultDatabase: string
  defaultLanguage: string
  checkPolicy: boolean
  checkExpiration: boolean
  roles: string[]
}

export interface JobObject {
  kind: 'job'
  name: string
  enabled: boolean
  description: string
  category: string
  owner: string
  startStepId: number
  steps: {
    id: number
    name: string
    subsystem: string
    command: string
    database: string | null
    onSuccessAction: number
    onFailAction: number
    retryAttempts: number
    retryInterval: number
  }[]
  schedules: {
    name: string
    enabled: boolean
    freqType: number
    freqInterval: number
    freqSubdayType: number
    freqSubdayInterval: number
    freqRelativeInterval: number
    freqRecurrenceFactor: number
    activeStartDate: number
    activeEndDate: number
    activeStartTime: number
    activeEndTime: number
  }[]
  /** Targeted at its own server (sp_add_jobserver): a job without it never runs. */
  targeted: boolean
}

export interface LinkedLoginMapping {
  /** null: the mapping for every login. */
  local: string | null
  useSelf: boolean
  remoteUser: string | null
}

export interface LinkedServerObject {
  kind: 'linked_server'
  name: string
  product: string
  provider: string
  dataSource: string | null
  location: string | null
  providerString: string | null
  catalog: string | null
  logins: LinkedLoginMapping[]
}

export interface CredentialObject {
  kind: 'credential'
  name: string
  identity: string
}

export type ServerObject = LoginObject | JobObject | LinkedServerObject | CredentialObject

export interface ServerObjects {
  logins: LoginObject[]
  /** The server roles the instance has (fixed and user-defined). */
  serverRoles: string[]
  jobs: JobObject[]
  linkedServers: LinkedServerObject[]
  credentials: CredentialObject[]
}

const LOGINS = `SELECT p.name, p.principal_id, p.sid, p.type_desc, p.is_disabled, p.default_database_name,
  p.default_language_name, l.is_policy_checked, l.is_expiration_checked, l.password_hash
FROM sys.server_principals AS p LEFT JOIN sys.sql_logins AS l ON l.principal_id = p.principal_id
WHERE p.type IN ('S', 'U', 'G')`

const ROLE_MEMBERS = `SELECT r.name AS role_name, rm.member_principal_id
FROM sys.server_role_members AS rm JOIN sys.server_principals AS r ON r.principal_id = rm.role_principal_id`

const SERVER_ROLES = "SELECT name FROM sys.server_principals WHERE type = 'R'"

const JOBS = `SELECT j.job_id, j.name, j.enabled, j.description, j.start_step_id, j.owner_sid, c.name AS category_name
FROM msdb.dbo.sysjobs AS j JOIN msdb.dbo.syscategories AS c ON c.category_id = j.category_id`

const JOB_STEPS = `SELECT job_id, step_id, step_name, subsystem, command, database_name, on_success_action,
  on_fail_action, retry_attempts, retry_interval
FROM msdb.dbo.sysjobsteps`

const JOB_SCHEDULES = `SELECT js.job_id, s.name, s.enabled, s.freq_type, s.freq_interval, s.freq_subday_type,
  s.freq_subday_interval, s.freq_relative_interval, s.freq_recurrence_factor, s.active_start_date,
  s.active_end_date, s.active_start_time, s.active_end_time
FROM msdb.dbo.sysjobschedules AS js JOIN msdb.dbo.sysschedules AS s ON s.schedule_id = js.schedule_id`

const JOB_SERVERS = 'SELECT job_id, server_id FROM msdb.dbo.sysjobservers'

const LINKED_SERVERS = `SELECT server_id, name, product, provider, data_source, location, provider_string, catalog
FROM sys.servers WHERE is_linked = 1`

const LINKED_LOGINS =
  'SELECT server_id, local_principal_id, uses_self_credential, remote_name FROM sys.linked_logins'

const CREDENTIALS = 'SELECT name, credential_identity FROM sys.credentials'

type Row = Record<string, unknown>

const hexOf = (value: unknown) =>
  `0x${Buffer.from(value as Uint8Array)
    .toString('hex')
    .toUpperCase()}`
const text = (value: unknown) => (value === null || value === undefined ? null : String(value))
const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name)
const jobKey = (id: unknown) => String(id).toLowerCase()

async function readLogins(conn: SqlConnection) {
  const [rows, members] = await Promise.all([conn.read<Row>(LOGINS), conn.read<Row>(ROLE_MEMBERS)])
  const roles = new Map<number, string[]>()
  for (const m of members) {
    const id = Number(m.member_principal_id)
    roles.set(id, [...(roles.get(id) ?? []), String(m.role_name)].sort())
  }
  const logins = rows.map(
    (r): LoginObject => ({
      kind: 'login',
      name: String(r.name),
      type: String(r.type_desc) as LoginObject['type'],
      sid: hexOf(r.sid),
      passwordHash: r.password_hash ? Buffer.from(r.password_hash as Uint8Array) : null,
      disabled: Number(r.is_disabled) === 1,
      defaultDatabase: String(r.default_database_name ?? 'master'),
      defaultLanguage: String(r.default_language_name ?? 'us_english'),
      checkPolicy: r.is_policy_checked === true,
      checkExpiration: r.is_expiration_checked === true,
      roles: roles.get(Number(r.principal_id)) ?? [],
    }),
  )
  const names = new Map(rows.map((r) => [Number(r.principal_id), String(r.name)]))
  return { logins: logins.sort(byName), names }
}

async function readJobs(conn: SqlConnection, logins: LoginObject[]): Promise<JobObject[]> {
  const [jobs, steps, schedules, servers] = await Promise.all(
    [JOBS, JOB_STEPS, JOB_SCHEDULES, JOB_SERVERS].map((q) => conn.read<Row>(q)),
  )
  const ownerName = (sid: unknown) => {
    const hex = hexOf(sid)
    return logins.find((l) => l.sid === hex)?.name ?? hex
  }
  return (jobs ?? [])
    .map(
      (j): JobObject => ({
        kind: 'job',
        name: String(j.name),
        enabled: Number(j.enabled) === 1,
        description: String(j.description ?? ''),
        category: String(j.category_name),
        owner: ownerName(j.owner_sid),
        startStepId: Number(j.start_step_id),
        steps: (steps ?? [])
          .filter((s) => jobKey(s.job_id) === jobKey(j.job_id))
          .map((s) => ({
            id: Number(s.step_id),
            name: String(s.step_name),
            subsystem: String(s.subsystem),
            command: String(s.command ?? ''),
            database: text(s.database_name),
            onSuccessAction: Number(s.on_success_action),
            onFailAction: Number(s.on_fail_action),
            retryAttempts: Number(s.retry_attempts),
            retryInterval: Number(s.retry_interval),
          }))
          .sort((a, b) => a.id - b.id),
        schedules: (schedules ?? [])
          .filter((s) => jobKey(s.job_id) === jobKey(j.job_id))
          .map((s) => ({
            name: String(s.name),
            enabled: Number(s.enabled) === 1,
            freqType: Number(s.freq_type),
            freqInterval: Number(s.freq_interval),
            freqSubdayType: Number(s.freq_subday_type),
            freqSubdayInterval: Number(s.freq_subday_interval),
            freqRelativeInterval: Number(s.freq_relative_interval),
            freqRecurrenceFactor: Number(s.freq_recurrence_factor),
            activeStartDate: Number(s.active_start_date),
            activeEndDate: Number(s.active_end_date),
            activeStartTime: Number(s.active_start_time),
            activeEndTime: Number(s.active_end_time),
          }))
          .sort(byName),
        targeted: (servers ?? []).some(
          (s) => jobKey(s.job_id) === jobKey(j.job_id) && Number(s.server_id) === 0,
        ),
      }),
    )
    .sort(byName)
}

async function readLinkedServers(conn: SqlConnection, names: Map<number, string>) {
  const [servers, logins] = await Promise.all([conn.read<Row>(LINKED_SERVERS), conn.read<Row>(LINKED_LOGINS)])
  return servers
    .map(
      (s): LinkedServerObject => ({
        kind: 'linked_server',
        name: String(s.name),
        product: String(s.product ?? ''),
        provider: String(s.provider ?? ''),
        dataSource: text(s.data_source),
        location: text(s.location),
        providerString: text(s.provider_string),
        catalog: text(s.catalog),
        logins: logins
          .filter((l) => Number(l.server_id) === Number(s.server_id))
          .map((l) => {
            const id = Number(l.local_principal_id)
            return {
              local: id === 0 ? null : (names.get(id) ?? `principal ${id}`),
              useSelf: l.uses_self_credential === true,
              remoteUser: text(l.remote_name),
            }
          })
          .sort((a, b) => (a.local ?? '').localeCompare(b.local ?? '')),
      }),
    )
    .sort(byName)
}

/** Everything the step copies or lists, in name order (so two plans of the same world read the same). */
export async function readServerObjects(conn: SqlConnection, kinds: Set<string>): Promise<ServerObjects> {
  const { logins, names } = await readLogins(conn)
  const serverRoles = (await conn.read<Row>(SERVER_ROLES)).map((r) => String(r.name))
  const credentials = kinds.has('credentials')
    ? (await conn.read<Row>(CREDENTIALS))
        .map(
          (c): CredentialObject => ({
            kind: 'credential',
            name: String(c.name),
            identity: String(c.credential_identity ?? ''),
          }),
        )
        .sort(byName)
    : []
  return {
    logins,
    serverRoles,
    jobs: kinds.has('jobs') ? await readJobs(conn, logins) : [],
    linkedServers: kinds.has('linked_servers') ? await readLinkedServers(conn, names) : [],
    credentials,
  }
}
