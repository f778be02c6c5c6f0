import { SqlServerError } from './tds/index.js'

/**
 * Errors of logins, Agent jobs and linked servers, with SQL Server's numbers, severities and texts as Microsoft's
 * "Database engine events and errors" tables give them (checked 2026-12-04; %s filled in).
 */

export const principalExists = (name: string) =>
  new SqlServerError(15025, `The server principal '${name}' already exists.`, 1, 16)

export const sidInUse = () => new SqlServerError(15433, 'Supplied parameter sid is in use.', 1, 16)

export const sidNotBinary16 = () =>
  new SqlServerError(15419, 'Supplied parameter sid should be binary(16).', 1, 16)

export const invalidPassword = () =>
  new SqlServerError(
    15021,
    'Invalid value given for parameter PASSWORD. Specify a valid parameter value.',
    1,
    16,
  )

export const expirationWithoutPolicy = () =>
  new SqlServerError(15122, 'The CHECK_EXPIRATION option cannot be used when CHECK_POLICY is OFF.', 1, 16)

export const notWindowsName = (name: string) =>
  new SqlServerError(
    15407,
    `'${name}' is not a valid Windows NT name. Give the complete name: <domain\\username>.`,
    1,
    11,
  )

export const noPermission = () =>
  new SqlServerError(15247, 'User does not have permission to perform this action.', 1, 16)

/** 15151 for a login, role or member that is not there (or not visible). */
export const principalMissing = (verb: string, kind: string, name: string) =>
  new SqlServerError(
    15151,
    `Cannot ${verb} the ${kind} '${name}', because it does not exist or you do not have permission.`,
    1,
    16,
  )

export const loginOwnsJobs = (count: number) =>
  new SqlServerError(
    15170,
    `This login is the owner of ${count} job(s). You must delete or reassign these jobs before the login can be dropped.`,
    1,
    16,
  )

/** 14261: the template is "The specified %s ('%s') already exists." */
export const alreadyExists = (what: string, name: string) =>
  new SqlServerError(14261, `The specified ${what} ('${name}') already exists.`, 1, 16)

/** 14262: "The specified %s ('%s') does not exist." */
export const doesNotExist = (what: string, name: string) =>
  new SqlServerError(14262, `The specified ${what} ('${name}') does not exist.`, 1, 16)

/** 14371: a schedule name that several schedules share. */
export const ambiguousSchedule = (name: string) =>
  new SqlServerError(
    14371,
    `There are two or more schedules named "${name}". Specify @schedule_id instead of @schedule_name to uniquely identify the schedule.`,
    1,
    16,
  )

/** 14234: a value outside what the parameter takes (e.g. an unknown subsystem). */
export const invalidValue = (what: string, valid: string) =>
  new SqlServerError(
    14234,
    `The specified '${what}' is invalid (valid values are returned by ${valid}).`,
    1,
    16,
  )

export const serverExists = (name: string) =>
  new SqlServerError(15028, `The server '${name}' already exists.`, 1, 16)

export const serverMissing = (name: string) =>
  new SqlServerError(
    15015,
    `The server '${name}' does not exist. Use sp_helpserver to show available servers.`,
    1,
    16,
  )

export const providerNeeded = (product: string) =>
  new SqlServerError(15427, `You must specify a provider name for unknown product '${product}'.`, 1, 16)

export const noProviderForProduct = (product: string) =>
  new SqlServerError(
    15428,
    `You cannot specify a provider or any properties for product '${product}'.`,
    1,
    16,
  )

export const serverHasLogins = (name: string) =>
  new SqlServerError(15190, `There are still remote logins or linked logins for the server '${name}'.`, 1, 16)

/** 201: a procedure called without a parameter it requires. */
export const parameterMissing = (procedure: string, parameter: string) =>
  new SqlServerError(
    201,
    `Procedure or function '${procedure}' expects parameter '@${parameter}', which was not supplied.`,
    4,
    16,
  )

/** 8145: a parameter the procedure does not have. */
export const notAParameter = (parameter: string, procedure: string) =>
  new SqlServerError(8145, `@${parameter} is not a parameter for procedure ${procedure}.`, 1, 16)

/** 229: a procedure the login may not execute (msdb's Agent procedures need sysadmin or an Agent role). */
export const executeDenied = (procedure: string, database: string) =>
  new SqlServerError(
    229,
    `The EXECUTE permission was denied on the object '${procedure}', database '${database}', schema 'dbo'.`,
    5,
    14,
  )

export const alreadyTargeted = (job: string, server: string) =>
  new SqlServerError(14269, `Job '${job}' is already targeted at server '${server}'.`, 1, 16)

export const notAValidLogin = (name: string) =>
  new SqlServerError(15007, `'${name}' is not a valid login or you do not have permission.`, 1, 16)
