import { createConnection } from 'node:net'
import type { SqlConnection } from '../../clients/sql.js'
import { RefusedBeforeActingError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { groupOn, instanceOf, replicaNameOf, replicasOf, sameName } from './common.js'
import type { PreflightParams } from './preflight.js'
import { endpointsMatch } from './preflight-endpoints.js'
import { type CheckResult, Report } from './preflight-report.js'
import {
  encryptionCheck,
  endpointCertificateChecks,
  endpointGrantChecks,
  ownerCheck,
  systemAccountCheck,
} from './preflight-security.js'
import { clusterChecks, versionChecks } from './preflight-versions.js'
import {
  DATABASE,
  DATABASE_STATE,
  type DatabaseRow,
  type DatabaseStateRow,
  ENDPOINT,
  type EndpointRow,
  FULL_BACKUP,
  type FullBackupRow,
  type InstanceRow,
  PERMISSIONS,
  type PermissionsRow,
} from './queries.js'
import { seedingPlacementChecks } from './seeding-preflight.js'

const DEFAULT_FACTOR = 1.2

/** Every prerequisite of §1 of the reference, read from the primary (P) and the new replica (T). */
export async function runPreflight(ctx: StepContext, p: PreflightParams): Promise<Report> {
  const report = new Report()
  const [primary, replica] = await Promise.all([ctx.sql(p.primary), ctx.sql(p.replica)])
  const [pi, ri] = await Promise.all([instanceOf(primary), instanceOf(replica)])
  const replicaName = await replicaNameOf(replica, p.replica_name)
  const on = { P: `${p.primary} (${pi.server_name})`, T: `${p.replica} (${ri.server_name})` }

  ctx.progress({ message: 'instances: HADR, versions, cluster' })
  if (!versionChecks(report, pi, ri, on)) return report
  instanceChecks(report, pi, on.P)
  instanceChecks(report, ri, on.T)
  if (pi.collation === ri.collation) report.pass('collation', on.T, pi.collation)
  else report.fail('collation', on.T, `${ri.collation} differs from the primary's ${pi.collation}`)

  ctx.progress({ message: `availability group ${p.ag}` })
  const group = await groupOn(primary, p.ag)
  if (!group) report.fail('availability group', on.P, `${p.ag} is not on this instance`)
  else {
    const clusterType = await clusterChecks(report, primary, replica, p.ag, pi, on)
    if (clusterType.needsWsfcNode)
      await Promise.all([
        systemAccountCheck(report, primary, on.P),
        systemAccountCheck(report, replica, on.T),
      ])
    if (group.local_role === 'PRIMARY')
      report.pass('primary role', on.P, `${pi.server_name} is the primary of ${p.ag}`)
    else
      report.fail(
        'primary role',
        on.P,
        `${group.local_role}, not PRIMARY; the primary is ${group.primary_replica}`,
      )
    if (group.basic_features)
      report.fail(
        'edition',
        on.P,
        `${p.ag} is a Basic AG (Standard Edition): at most 2 replicas, no third on AWS`,
      )
    const replicas = await replicasOf(primary, p.ag)
    const existing = replicas.find((r) => sameName(r.replica_server_name, replicaName))
    if (existing)
      report.pass(
        'not yet a replica',
        on.T,
        `${replicaName} is already a replica; add-replica will do nothing`,
      )
    else report.pass('not yet a replica', on.T, `${replicaName} is not a replica of ${p.ag} yet`)
    for (const r of replicas.filter((r) => r !== existing))
      if (r.connected_state_desc !== 'CONNECTED')
        report.warn(
          'replicas connected',
          r.replica_server_name,
          `${r.connected_state_desc ?? 'state unknown'}`,
        )
  }

  const primaryEndpoint = await endpointCheck(report, primary, on.P)
  const replicaEndpoint = await endpointCheck(report, replica, on.T)
  if (primaryEndpoint && replicaEndpoint) {
    endpointsMatch(report, primaryEndpoint, replicaEndpoint, on.T)
    const sides = [
      { conn: primary, endpoint: primaryEndpoint, on: on.P },
      { conn: replica, endpoint: replicaEndpoint, on: on.T },
    ]
    await endpointGrantChecks(report, sides)
    await endpointCertificateChecks(report, sides)
  }
  if (p.endpoint_url) await endpointUrlCheck(report, p.endpoint_url, replicaEndpoint?.port, on.T)
  await permissionChecks(report, primary, on.P)
  await permissionChecks(report, replica, on.T, p.seeding ?? 'automatic')

  for (const db of p.databases) {
    ctx.progress({ message: `database ${db}` })
    await databaseChecks(report, primary, replica, pi, db, p)
    await encryptionCheck(report, primary, replica, db)
    await ownerCheck(report, primary, replica, db)
  }
  ctx.progress({ message: 'where the files will go on the replica' })
  await seedingPlacementChecks(
    report,
    primary,
    replica,
    pi,
    ri,
    on.T,
    p,
    p.free_space_factor ?? DEFAULT_FACTOR,
  )
  return report
}

function instanceChecks(report: Report, i: InstanceRow, on: string) {
  if (i.hadr_enabled === 1) report.pass('Always On enabled', on, 'IsHadrEnabled = 1')
  else
    report.fail(
      'Always On enabled',
      on,
      'IsHadrEnabled = 0 (error 35221 on any AG statement): enable Always On in SQL Server Configuration Manager and restart the service',
    )
  if (i.hadr_enabled === 1 && i.hadr_manager_status !== 1)
    report.fail('HADR manager', on, i.hadr_manager_status === 0 ? 'not started yet' : 'failed to start')
  if (i.engine_edition !== 3)
    report.warn('edition', on, `${i.edition}: more than two replicas need Enterprise`)
}

/**
 * The endpoint URL the replica will be added with must name the port its endpoint listens on; and
 * this machine tries the address (a warning only: what matters is that the other replicas reach it).
 */
async function endpointUrlCheck(report: Report, url: string, port: number | undefined, on: string) {
  const match = /^TCP:\/\/([^\s:/]+):(\d{1,5})$/i.exec(url)
  if (!match) return report.fail('endpoint URL', on, `${url} is not TCP://host:port`)
  const [, host, urlPort] = match as unknown as [string, string, string]
  if (port !== undefined && Number(urlPort) !== port)
    return report.fail(
      'endpoint URL',
      on,
      `${url} names port ${urlPort}, but the endpoint listens on ${port}`,
    )
  const reached = await tcpReachable(host, Number(urlPort), 3000)
  if (reached === true)
    report.pass('endpoint reachable', on, `${host}:${urlPort} accepts connections from this machine`)
  else
    report.warn(
      'endpoint reachable',
      on,
      `${host}:${urlPort} cannot be reached from this machine (${reached}); the other replicas must reach it: check DNS and firewalls from there`,
    )
}

/** true, or why a TCP connection to host:port failed within the time. */
function tcpReachable(host: string, port: number, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port })
    const done = (result: true | string) => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(timeoutMs, () => done(`no answer in ${timeoutMs / 1000}s`))
    socket.once('connect', () => done(true))
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message))
  })
}

async function endpointCheck(
  report: Report,
  conn: SqlConnection,
  on: string,
): Promise<EndpointRow | undefined> {
  const endpoints = await conn.read<EndpointRow>(ENDPOINT)
  const [e] = endpoints
  if (!e)
    report.fail(
      'mirroring endpoint',
      on,
      'no database mirroring endpoint: create one (e.g. Hadr_endpoint on 5022)',
    )
  else if (e.state_desc !== 'STARTED')
    report.fail(
      'mirroring endpoint',
      on,
      `${e.name} is ${e.state_desc}: ALTER ENDPOINT ${e.name} STATE = STARTED`,
    )
  else if (e.role_desc === 'WITNESS')
    report.fail('mirroring endpoint', on, `${e.name} has role WITNESS; it needs ALL`)
  else report.pass('mirroring endpoint', on, `${e.name} STARTED on port ${e.port}`)
  return e
}

/** `creates` is how the replica gets its databases: by RESTORE (manual) or through the AG's GRANT CREATE ANY DATABASE. */
async function permissionChecks(
  report: Report,
  conn: SqlConnection,
  on: string,
  creates?: 'automatic' | 'manual',
) {
  const [perm] = await conn.read<PermissionsRow>(PERMISSIONS)
  if (!perm) return report.fail('permissions', on, "could not read the login's permissions")
  const admin = perm.sysadmin === 1 || perm.control_server === 1
  if (admin || perm.alter_any_ag === 1)
    report.pass('permissions', on, admin ? 'sysadmin or CONTROL SERVER' : 'ALTER ANY AVAILABILITY GROUP')
  else report.fail('permissions', on, 'the login needs ALTER ANY AVAILABILITY GROUP (or CONTROL SERVER)')
  if (!admin && perm.view_server_state !== 1)
    report.fail('permissions', on, 'the login needs VIEW SERVER STATE to read the AG views')
  if (creates && !admin && perm.create_any_db !== 1)
    report.fail(
      'permissions',
      on,
      creates === 'manual'
        ? 'manual seeding restores databases: the login needs CREATE ANY DATABASE'
        : 'automatic seeding runs ALTER AVAILABILITY GROUP ... GRANT CREATE ANY DATABASE here: the login needs CREATE ANY DATABASE',
    )
}

/** Checks one database; returns its size in bytes (for the free-space check). */
async function databaseChecks(
  report: Report,
  primary: SqlConnection,
  replica: SqlConnection,
  pi: InstanceRow,
  db: string,
  p: PreflightParams,
): Promise<void> {
  const on = `database ${db}`
  const [row] = await primary.read<DatabaseRow>(DATABASE, { db })
  if (!row) {
    report.fail('exists', on, `not on the primary ${pi.server_name}`)
    return
  }
  if (row.state_desc === 'ONLINE') report.pass('online', on, 'ONLINE')
  else report.fail('online', on, `${row.state_desc} on the primary`)
  if (row.user_access_desc !== 'MULTI_USER') report.warn('user access', on, row.user_access_desc)
  if (row.is_read_only) report.fail('read-write', on, 'read-only databases cannot join an availability group')
  if (row.recovery_model_desc === 'FULL') report.pass('recovery model', on, 'FULL')
  else
    report.fail(
      'recovery model',
      on,
      `${row.recovery_model_desc}: ALTER DATABASE ... SET RECOVERY FULL, then a full backup`,
    )
  if (row.mirroring_guid) report.fail('not mirrored', on, 'the database is in a database mirroring session')
  if (row.ag_name === null) report.pass('not in an AG', on, 'not in any availability group yet')
  else if (sameName(row.ag_name, p.ag)) report.pass('not in an AG', on, `already in ${p.ag}`)
  else report.fail('not in an AG', on, `in another availability group, ${row.ag_name}`)
  if (row.last_log_backup_lsn === null)
    report.fail('log chain', on, 'no full backup since FULL recovery was set (the log chain is not started)')
  else report.pass('log chain', on, `last log backup LSN ${row.last_log_backup_lsn}`)
  const [backup] = await primary.read<FullBackupRow>(FULL_BACKUP, { db, database_guid: row.database_guid })
  if (backup)
    report.pass(
      'full backup',
      on,
      `${new Date(backup.backup_finish_date).toISOString()} (${backup.physical_device_name})`,
    )
  else
    report.warn(
      'full backup',
      on,
      "none in the primary's msdb (backups may run on another replica, whose msdb lists them); the log chain check is what seeding needs",
    )

  const [there] = await replica.read<DatabaseStateRow>(DATABASE_STATE, { db })
  if (!there) report.pass('absent on the replica', on, 'no copy on the replica yet')
  else if (there.group_database_id) report.pass('absent on the replica', on, 'already joined on the replica')
  else if (there.state_desc === 'RESTORING' && p.seeding === 'manual')
    report.pass(
      'absent on the replica',
      on,
      'a RESTORING copy is on the replica (manual seeding can join it)',
    )
  else
    report.fail(
      'absent on the replica',
      on,
      `a ${there.state_desc} copy is already on the replica: automatic seeding fails with "Database With Name Already Exists" (23); drop it there first`,
    )
}

const line = (r: CheckResult) => `${r.status.toUpperCase()} ${r.on}: ${r.check}: ${r.detail}`

function outputsOf(report: Report) {
  return {
    checks: report.results,
    passed: report.count('pass'),
    warnings: report.count('warn'),
    failures: report.count('fail'),
  }
}

async function requirePass(ctx: StepContext, p: PreflightParams) {
  const report = await runPreflight(ctx, p)
  for (const r of report.results.filter((r) => r.status === 'warn'))
    ctx.warn(`${r.on}: ${r.check}: ${r.detail}`)
  const failures = report.results.filter((r) => r.status === 'fail')
  if (failures.length > 0)
    throw new RefusedBeforeActingError(
      `preflight for ${p.ag}: ${failures.length} check(s) failed:\n  ${failures.map(line).join('\n  ')}`,
      { hint: 'fix these on the servers and run again; nothing was changed' },
    )
  return outputsOf(report)
}

export const preflightStep: StepImplementation<PreflightParams> = {
  // Every check only reads: a dry run runs them as this step's check, and reports what would fail.
  async plan() {
    return { changes: [] }
  },
  apply: (ctx, p) => requirePass(ctx, p),
  async check(ctx, p) {
    await requirePass(ctx, p)
  },
}
