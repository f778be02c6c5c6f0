import { randomUUID } from 'node:crypto'
import type { Instance, Login } from './model.js'
import {
  alreadyExists,
  alreadyTargeted,
  ambiguousSchedule,
  doesNotExist,
  executeDenied,
  invalidValue,
  parameterMissing,
} from './server-object-errors.js'
import { type AgentJob, JOB_CATEGORIES, type JobSchedule } from './server-objects.js'
import type { ProcedureCall, SystemProcedure } from './system-procedures.js'

/**
 * msdb's Agent procedures as Microsoft's pages document them (sp-add-job-transact-sql, sp-add-jobstep-…,
 * sp-add-schedule-…, sp-attach-schedule-…, sp-add-jobserver-…, sp-delete-job-…): the parameters they take, their
 * defaults, and the errors they raise.
 */

const SUBSYSTEMS = [
  'TSQL',
  'CMDEXEC',
  'POWERSHELL',
  'SSIS',
  'ANALYSISQUERY',
  'ANALYSISCOMMAND',
  'DISTRIBUTION',
  'SNAPSHOT',
  'LOGREADER',
  'MERGE',
  'QUEUEREADER',
]

/** Needs sysadmin (or an SQLAgent role in msdb, which the sandbox does not model). */
function requireAgentRights(call: ProcedureCall, procedure: string): void {
  const { caller } = call
  if (!caller.sysadmin && !caller.permissions.includes('CONTROL SERVER'))
    throw executeDenied(procedure, 'msdb')
}

/** @job_id or @job_name (one of them), as every job procedure takes it. */
function jobOf(call: ProcedureCall, procedure: string): AgentJob {
  const id = call.text('job_id')
  const name = call.text('job_name')
  if (id === null && name === null) throw parameterMissing(procedure, 'job_name')
  const jobs = call.instance.serverObjects.jobs
  const job =
    id !== null
      ? jobs.find((j) => j.id.toLowerCase() === id.toLowerCase())
      : jobs.find((j) => j.name.toLowerCase() === (name ?? '').toLowerCase())
  if (!job) throw doesNotExist(id !== null ? '@job_id' : '@job_name', id ?? name ?? '')
  return job
}

function ownerOf(call: ProcedureCall): Login {
  const name = call.text('owner_login_name')
  if (name === null) return call.caller
  const login = call.instance.logins.get(name.toLowerCase())
  if (!login) throw doesNotExist('@owner_login_name', name)
  return login
}

const addJob: SystemProcedure = {
  database: 'msdb',
  parameters: [
    'job_name',
    'enabled',
    'description',
    'start_step_id',
    'category_name',
    'category_id',
    'owner_login_name',
    'notify_level_eventlog',
    'notify_level_email',
    'notify_level_netsend',
    'notify_level_page',
    'notify_email_operator_name',
    'notify_netsend_operator_name',
    'notify_page_operator_name',
    'delete_level',
    'job_id',
    'originating_server',
  ],
  run(call) {
    requireAgentRights(call, 'sp_add_job')
    const name = String(call.required('job_name'))
    const objects = call.instance.serverObjects
    if (objects.jobs.some((j) => j.name.toLowerCase() === name.toLowerCase()))
      throw alreadyExists('@job_name', name)
    const categoryName = call.text('category_name') ?? '[Uncategorized (Local)]'
    const category = JOB_CATEGORIES.find((c) => c.name.toLowerCase() === categoryName.toLowerCase())
    if (!category) throw doesNotExist('@category_name', categoryName)
    const job: AgentJob = {
      id: randomUUID().toUpperCase(),
      name,
      enabled: call.number('enabled', 1) !== 0,
      description: call.text('description') ?? 'No description available.',
      categoryId: category.id,
      ownerSid: ownerOf(call).sid,
      startStepId: call.number('start_step_id', 1),
      steps: [],
      scheduleIds: [],
      serverIds: [],
      createdAt: call.now,
    }
    objects.jobs.push(job)
    return job.id
  },
}

const addJobStep: SystemProcedure = {
  database: 'msdb',
  parameters: [
    'job_id',
    'job_name',
    'step_id',
    'step_name',
    'subsystem',
    'command',
    'additional_parameters',
    'cmdexec_success_code',
    'on_success_action',
    'on_success_step_id',
    'on_fail_action',
    'on_fail_step_id',
    'server',
    'database_name',
    'database_user_name',
    'retry_attempts',
    'retry_interval',
    'os_run_priority',
    'output_file_name',
    'flags',
    'proxy_id',
    'proxy_name',
    'step_uid',
  ],
  run(call) {
    requireAgentRights(call, 'sp_add_jobstep')
    const job = jobOf(call, 'sp_add_jobstep')
    const name = String(call.required('step_name'))
    if (job.steps.some((s) => s.name.toLowerCase() === name.toLowerCase()))
      throw alreadyExists('@step_name', name)
    const subsystem = (call.text('subsystem') ?? 'TSQL').toUpperCase()
    if (!SUBSYSTEMS.includes(subsystem)) throw invalidValue('@subsystem', 'sp_enum_sqlagent_subsystems')
    const id = call.number('step_id', job.steps.length + 1)
    if (id < 1 || id > job.steps.length + 1) throw invalidValue('@step_id', `1 to ${job.steps.length + 1}`)
    // A step inserted before others pushes them down, as sp_add_jobstep does
    for (const step of job.steps) if (step.id >= id) step.id++
    job.steps.push({
      id,
      name,
      subsystem,
      command: call.text('command') ?? '',
      databaseName: call.text('database_name') ?? (subsystem === 'TSQL' ? 'master' : null),
      onSuccessAction: call.number('on_success_action', 1),
      onFailAction: call.number('on_fail_action', 2),
      retryAttempts: call.number('retry_attempts', 0),
      retryInterval: call.number('retry_interval', 0),
    })
    job.steps.sort((a, b) => a.id - b.id)
    return 0
  },
}

const today = (now: number) => Number(new Date(now).toISOString().slice(0, 10).replaceAll('-', ''))

const addSchedule: SystemProcedure = {
  database: 'msdb',
  parameters: [
    'schedule_name',
    'enabled',
    'freq_type',
    'freq_interval',
    'freq_subday_type',
    'freq_subday_interval',
    'freq_relative_interval',
    'freq_recurrence_factor',
    'active_start_date',
    'active_end_date',
    'active_start_time',
    'active_end_time',
    'owner_login_name',
    'schedule_uid',
    'schedule_id',
    'originating_server',
  ],
  run(call) {
    requireAgentRights(call, 'sp_add_schedule')
    const objects = call.instance.serverObjects
    const schedule: JobSchedule = {
      id: objects.nextScheduleId++,
      uid: randomUUID().toUpperCase(),
      name: String(call.required('schedule_name')),
      enabled: call.number('enabled', 1) !== 0,
      ownerSid: ownerOf(call).sid,
      freqType: call.number('freq_type', 0),
      freqInterval: call.number('freq_interval', 0),
      freqSubdayType: call.number('freq_subday_type', 0),
      freqSubdayInterval: call.number('freq_subday_interval', 0),
      freqRelativeInterval: call.number('freq_relative_interval', 0),
      freqRecurrenceFactor: call.number('freq_recurrence_factor', 0),
      activeStartDate: call.number('active_start_date', today(call.now)),
      activeEndDate: call.number('active_end_date', 99991231),
      activeStartTime: call.number('active_start_time', 0),
      activeEndTime: call.number('active_end_time', 235959),
    }
    objects.schedules.push(schedule)
    return schedule.id
  },
}

function scheduleOf(call: ProcedureCall): JobSchedule {
  const id = call.args.get('schedule_id')
  const name = call.text('schedule_name')
  const schedules = call.instance.serverObjects.schedules
  if (id !== undefined && id !== null) {
    const found = schedules.find((s) => s.id === Number(id))
    if (!found) throw doesNotExist('@schedule_id', String(id))
    return found
  }
  if (name === null) throw parameterMissing('sp_attach_schedule', 'schedule_name')
  const named = schedules.filter((s) => s.name.toLowerCase() === name.toLowerCase())
  if (named.length > 1) throw ambiguousSchedule(name)
  if (!named[0]) throw doesNotExist('@schedule_name', name)
  return named[0]
}

const attachSchedule: SystemProcedure = {
  database: 'msdb',
  parameters: ['job_id', 'job_name', 'schedule_id', 'schedule_name', 'automatic_post'],
  run(call) {
    requireAgentRights(call, 'sp_attach_schedule')
    const job = jobOf(call, 'sp_attach_schedule')
    const schedule = scheduleOf(call)
    if (!job.scheduleIds.includes(schedule.id)) job.scheduleIds.push(schedule.id)
    return 0
  },
}

const isLocal = (instance: Instance, server: string) =>
  server.toLowerCase() === '(local)' || server.toLowerCase() === instance.name.toLowerCase()

const addJobServer: SystemProcedure = {
  database: 'msdb',
  parameters: ['job_id', 'job_name', 'server_name', 'automatic_post'],
  run(call) {
    requireAgentRights(call, 'sp_add_jobserver')
    const job = jobOf(call, 'sp_add_jobserver')
    const server = call.text('server_name') ?? '(local)'
    if (!isLocal(call.instance, server)) throw doesNotExist('@server_name', server)
    if (job.serverIds.includes(0)) throw alreadyTargeted(job.name, call.instance.name)
    job.serverIds.push(0)
    return 0
  },
}

/** Deletes the job, and (by default) its schedules that no other job uses. */
const deleteJob: SystemProcedure = {
  database: 'msdb',
  parameters: ['job_id', 'job_name', 'originating_server', 'delete_history', 'delete_unused_schedule'],
  run(call) {
    requireAgentRights(call, 'sp_delete_job')
    const job = jobOf(call, 'sp_delete_job')
    const objects = call.instance.serverObjects
    objects.jobs.splice(objects.jobs.indexOf(job), 1)
    if (call.number('delete_unused_schedule', 1) !== 0) {
      const used = new Set(objects.jobs.flatMap((j) => j.scheduleIds))
      objects.schedules = objects.schedules.filter((s) => used.has(s.id) || !job.scheduleIds.includes(s.id))
    }
    return 0
  },
}

export const AGENT_PROCEDURES: Record<string, SystemProcedure> = {
  sp_add_job: addJob,
  sp_add_jobstep: addJobStep,
  sp_add_schedule: addSchedule,
  sp_attach_schedule: attachSchedule,
  sp_add_jobserver: addJobServer,
  sp_delete_job: deleteJob,
}
