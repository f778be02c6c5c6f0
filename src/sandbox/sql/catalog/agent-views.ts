// Columns and types transcribed from the Microsoft pages named in each table's `doc` on 2026-12-04.
import { JOB_CATEGORIES } from '../server-objects.js'
import { type CatalogView, columns } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases/system-tables'

export const sysjobs: CatalogView = {
  name: 'msdb.dbo.sysjobs',
  doc: `${LEARN}/dbo-sysjobs-transact-sql`,
  columns: columns(`
    job_id uniqueidentifier
    originating_server_id int
    name sysname
    enabled tinyint
    description nvarchar(512)
    start_step_id int
    category_id int
    owner_sid varbinary(85)
    notify_level_eventlog int
    notify_level_email int
    notify_level_netsend int
    notify_level_page int
    notify_email_operator_id int
    notify_netsend_operator_id int
    notify_page_operator_id int
    delete_level int
    date_created datetime
    date_modified datetime
    version_number int`),
  rows: ({ instance }) =>
    instance.serverObjects.jobs.map((j) => ({
      job_id: j.id,
      originating_server_id: 0,
      name: j.name,
      enabled: j.enabled ? 1 : 0,
      description: j.description,
      start_step_id: j.startStepId,
      category_id: j.categoryId,
      owner_sid: j.ownerSid,
      notify_level_eventlog: 2,
      notify_level_email: 0,
      notify_level_netsend: 0,
      notify_level_page: 0,
      notify_email_operator_id: 0,
      notify_netsend_operator_id: 0,
      notify_page_operator_id: 0,
      delete_level: 0,
      date_created: new Date(j.createdAt),
      date_modified: new Date(j.createdAt),
      version_number: 1 + j.steps.length,
    })),
}

export const sysjobsteps: CatalogView = {
  name: 'msdb.dbo.sysjobsteps',
  doc: `${LEARN}/dbo-sysjobsteps-transact-sql`,
  columns: columns(`
    job_id uniqueidentifier
    step_id int
    step_name sysname
    subsystem nvarchar(40)
    command nvarchar(max)
    flags int
    additional_parameters nvarchar(max)
    cmdexec_success_code int
    on_success_action tinyint
    on_success_step_id int
    on_fail_action tinyint
    on_fail_step_id int
    server sysname
    database_name sysname
    database_user_name sysname
    retry_attempts int
    retry_interval int
    os_run_priority int
    output_file_name nvarchar(200)
    last_run_outcome int
    last_run_duration int
    last_run_retries int
    last_run_date int
    last_run_time int
    proxy_id int
    step_uid uniqueidentifier`),
  rows: ({ instance }) =>
    instance.serverObjects.jobs.flatMap((j) =>
      j.steps.map((s) => ({
        job_id: j.id,
        step_id: s.id,
        step_name: s.name,
        subsystem: s.subsystem,
        command: s.command,
        flags: 0,
        cmdexec_success_code: 0,
        on_success_action: s.onSuccessAction,
        on_success_step_id: 0,
        on_fail_action: s.onFailAction,
        on_fail_step_id: 0,
        database_name: s.databaseName,
        retry_attempts: s.retryAttempts,
        retry_interval: s.retryInterval,
        os_run_priority: 0,
        last_run_outcome: 0,
        last_run_duration: 0,
        last_run_retries: 0,
        last_run_date: 0,
        last_run_time: 0,
      })),
    ),
}

export const sysschedules: CatalogView = {
  name: 'msdb.dbo.sysschedules',
  doc: `${LEARN}/dbo-sysschedules-transact-sql`,
  columns: columns(`
    schedule_id int
    schedule_uid uniqueidentifier
    originating_server_id int
    name sysname
    owner_sid varbinary(85)
    enabled int
    freq_type int
    freq_interval int
    freq_subday_type int
    freq_subday_interval int
    freq_relative_interval int
    freq_recurrence_factor int
    active_start_date int
    active_end_date int
    active_start_time int
    active_end_time int
    date_created datetime
    date_modified datetime
    version_number int`),
  rows: ({ instance }) =>
    instance.serverObjects.schedules.map((s) => ({
      schedule_id: s.id,
      schedule_uid: s.uid,
      originating_server_id: 0,
      name: s.name,
      owner_sid: s.ownerSid,
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
      version_number: 1,
    })),
}

export const sysjobschedules: CatalogView = {
  name: 'msdb.dbo.sysjobschedules',
  doc: `${LEARN}/dbo-sysjobschedules-transact-sql`,
  columns: columns(`
    schedule_id int
    job_id uniqueidentifier
    next_run_date int
    next_run_time int`),
  rows: ({ instance }) =>
    instance.serverObjects.jobs.flatMap((j) =>
      j.scheduleIds.map((id) => ({ schedule_id: id, job_id: j.id, next_run_date: 0, next_run_time: 0 })),
    ),
}

export const sysjobservers: CatalogView = {
  name: 'msdb.dbo.sysjobservers',
  doc: `${LEARN}/dbo-sysjobservers-transact-sql`,
  columns: columns(`
    job_id uniqueidentifier
    server_id int
    last_run_outcome tinyint
    last_outcome_message nvarchar(4000)
    last_run_date int
    last_run_time int
    last_run_duration int`),
  rows: ({ instance }) =>
    instance.serverObjects.jobs.flatMap((j) =>
      j.serverIds.map((id) => ({
        job_id: j.id,
        server_id: id,
        last_run_outcome: 5,
        last_run_date: 0,
        last_run_time: 0,
        last_run_duration: 0,
      })),
    ),
}

export const syscategories: CatalogView = {
  name: 'msdb.dbo.syscategories',
  doc: `${LEARN}/dbo-syscategories-transact-sql`,
  columns: columns(`
    category_id int
    category_class int
    category_type tinyint
    name sysname`),
  rows: () =>
    JOB_CATEGORIES.map((c) => ({ category_id: c.id, category_class: 1, category_type: 1, name: c.name })),
}
