import { quoteName } from './identifiers.js'
import type { JobObject, LinkedServerObject, LoginObject } from './sync-objects-read.js'

/**
 * The statements that create and remove what sql.sync-objects copies. CREATE LOGIN takes no variables, so the SID and
 * password hash are written as constants (the reason the text of a login's batch is never shown or journaled); the
 * procedures' values are written as N'' literals, which (unlike parameters) have no 4000-character limit for job
 * commands.
 */

/** N'text' with quotes doubled; line breaks and tabs stay (job commands span lines), other controls are refused. */
export function textLiteral(text: string): string {
  const kept = new Set(['\t', '\n', '\r'])
  if ([...text].some((c) => ((c.codePointAt(0) ?? 0) < 0x20 && !kept.has(c)) || c === '\u007f'))
    throw new Error('a value holds a control character SQL Server would not keep in a literal')
  return `N'${text.replaceAll("'", "''")}'`
}

const value = (v: string | number | null) =>
  v === null ? 'NULL' : typeof v === 'number' ? String(v) : textLiteral(v)

const args = (pairs: Record<string, string | number | null>) =>
  Object.entries(pairs)
    .map(([name, v]) => `@${name} = ${value(v)}`)
    .join(', ')

const onOff = (on: boolean) => (on ? 'ON' : 'OFF')

/** CREATE LOGIN as on the source (SID and hash for SQL logins), its server roles, and DISABLE when it is. */
export function createLoginBatch(login: LoginObject): string {
  const name = quoteName(login.name)
  const defaults = `DEFAULT_DATABASE = ${quoteName(login.defaultDatabase)}, DEFAULT_LANGUAGE = ${quoteName(login.defaultLanguage)}`
  const create =
    login.type === 'SQL_LOGIN'
      ? `CREATE LOGIN ${name} WITH PASSWORD = 0x${login.passwordHash?.toString('hex').toUpperCase() ?? ''} HASHED, ` +
        `SID = ${login.sid}, ${defaults}, CHECK_POLICY = ${onOff(login.checkPolicy)}, ` +
        `CHECK_EXPIRATION = ${onOff(login.checkExpiration)}`
      : `CREATE LOGIN ${name} FROM WINDOWS WITH ${defaults}`
  return [
    create,
    ...login.roles
      .filter((r) => r !== 'public')
      .map((role) => `ALTER SERVER ROLE ${quoteName(role)} ADD MEMBER ${name}`),
    ...(login.disabled ? [`ALTER LOGIN ${name} DISABLE`] : []),
  ].join(';\n')
}

export const dropLogin = (name: string) => `DROP LOGIN ${quoteName(name)}`

/** The job, its steps, each schedule (created and attached by id: schedule names need not be unique), its server. */
export function createJobBatch(job: JobObject): string {
  const jobName = textLiteral(job.name)
  const lines = [
    `EXEC msdb.dbo.sp_add_job ${args({
      job_name: job.name,
      enabled: job.enabled ? 1 : 0,
      description: job.description,
      category_name: job.category,
      owner_login_name: job.owner,
    })}`,
    ...job.steps.map(
      (s) =>
        `EXEC msdb.dbo.sp_add_jobstep ${args({
          job_name: job.name,
          step_id: s.id,
          step_name: s.name,
          subsystem: s.subsystem,
          command: s.command,
          database_name: s.database,
          on_success_action: s.onSuccessAction,
          on_fail_action: s.onFailAction,
          retry_attempts: s.retryAttempts,
          retry_interval: s.retryInterval,
        })}`,
    ),
  ]
  if (job.schedules.length > 0) lines.push('DECLARE @schedule_id int')
  for (const s of job.schedules)
    lines.push(
      `EXEC msdb.dbo.sp_add_schedule ${args({
        schedule_name: s.name,
        enabled: s.enabled ? 1 : 0,
        freq_type: s.freqType,
        freq_interval: s.freqInterval,
        freq_subday_type: s.freqSubdayType,
        freq_subday_interval: s.freqSubdayInterval,
        freq_relative_interval: s.freqRelativeInterval,
        freq_recurrence_factor: s.freqRecurrenceFactor,
        active_start_date: s.activeStartDate,
        active_end_date: s.activeEndDate,
        active_start_time: s.activeStartTime,
        active_end_time: s.activeEndTime,
        owner_login_name: job.owner,
      })}, @schedule_id = @schedule_id OUTPUT`,
      `EXEC msdb.dbo.sp_attach_schedule @job_name = ${jobName}, @schedule_id = @schedule_id`,
    )
  if (job.targeted)
    lines.push(`EXEC msdb.dbo.sp_add_jobserver @job_name = ${jobName}, @server_name = N'(local)'`)
  return lines.join(';\n')
}

/** sp_delete_job also deletes the schedules no other job uses (its default). */
export const dropJob = (name: string) => `EXEC msdb.dbo.sp_delete_job @job_name = ${textLiteral(name)}`

/**
 * sp_addlinkedserver (which maps every login to itself), then the source's self-mappings; the default mapping is
 * dropped when the source has none. Mappings to a remote user need its password, which no view returns.
 */
export function createLinkedServerBatch(server: LinkedServerObject): string {
  const sqlServer = server.product.toLowerCase() === 'sql server'
  const lines = [
    `EXEC master.dbo.sp_addlinkedserver ${args(
      sqlServer
        ? { server: server.name, srvproduct: server.product }
        : {
            server: server.name,
            srvproduct: server.product,
            provider: server.provider,
            datasrc: server.dataSource,
            location: server.location,
            provstr: server.providerString,
            catalog: server.catalog,
          },
    )}`,
  ]
  for (const l of server.logins.filter((m) => m.useSelf && m.local !== null))
    lines.push(
      `EXEC master.dbo.sp_addlinkedsrvlogin ${args({ rmtsrvname: server.name, useself: 'TRUE', locallogin: l.local })}`,
    )
  if (!server.logins.some((m) => m.local === null && m.useSelf))
    lines.push(`EXEC master.dbo.sp_droplinkedsrvlogin ${args({ rmtsrvname: server.name, locallogin: null })}`)
  return lines.join(';\n')
}

export const dropLinkedServer = (name: string) =>
  `EXEC master.dbo.sp_dropserver @server = ${textLiteral(name)}, @droplogins = N'droplogins'`
