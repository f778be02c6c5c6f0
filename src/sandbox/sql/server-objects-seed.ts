import { randomBytes, randomUUID } from 'node:crypto'
import type { Instance, Login } from './model.js'
import {
  type AgentJob,
  JOB_CATEGORIES,
  type JobSchedule,
  type JobStep,
  type LinkedServer,
  newLogin,
  passwordHash,
  type ServerObjects,
  seededLoginSecrets,
  windowsSid,
} from './server-objects.js'
import type { LoginSpec } from './world.js'

/** A job as a test or the demo describes it; the world fills in ids and defaults as sp_add_job* would. */
export interface JobSpec {
  name: string
  enabled?: boolean
  description?: string
  category?: string
  /** Login that owns the job (default sa). */
  owner?: string
  steps: { name: string; command: string; subsystem?: string; database?: string }[]
  schedules?: { name: string; freqType?: number; freqInterval?: number; activeStartTime?: number }[]
}

export interface LinkedServerSpec {
  name: string
  product?: string
  provider?: string
  dataSource?: string
  catalog?: string
  /** Mappings besides the default self-mapping for every login: a local login to a remote user and password. */
  logins?: { local: string | null; remoteUser: string; remotePassword: string }[]
}

export interface ServerObjectsSpec {
  jobs?: JobSpec[]
  linkedServers?: LinkedServerSpec[]
  credentials?: { name: string; identity: string; secret: string }[]
}

/** The logins an instance starts with: sa (principal 1, disabled, as hardened servers keep it) and the spec's. */
export function seedLogins(objects: ServerObjects, specs: Record<string, LoginSpec>, now: number) {
  const logins = new Map<string, Login>()
  const sa = newLogin(
    objects,
    { name: 'sa', type: 'SQL_LOGIN', sid: Buffer.from([1]), passwordHash: passwordHash('', Buffer.alloc(4)) },
    now,
  )
  logins.set('sa', { ...sa, principalId: 1, sysadmin: true, disabled: true })
  for (const [name, spec] of Object.entries(specs)) {
    const secrets = spec.windows
      ? { sid: windowsSid(name), passwordHash: null }
      : seededLoginSecrets(name, spec.password ?? randomBytes(12).toString('hex'))
    logins.set(
      name.toLowerCase(),
      newLogin(
        objects,
        {
          name,
          type: spec.windows ? 'WINDOWS_LOGIN' : 'SQL_LOGIN',
          ...secrets,
          sysadmin: spec.sysadmin ?? true,
          serverRoles: spec.roles,
          permissions: spec.permissions,
          disabled: spec.disabled,
          defaultDatabase: spec.defaultDatabase,
          defaultLanguage: spec.defaultLanguage,
          checkPolicy: spec.checkPolicy,
          checkExpiration: spec.checkExpiration,
        },
        now,
      ),
    )
  }
  return logins
}

function seedJob(instance: Instance, spec: JobSpec, now: number): void {
  const objects = instance.serverObjects
  const owner = instance.logins.get((spec.owner ?? 'sa').toLowerCase())
  if (!owner) throw new TypeError(`job ${spec.name}: no login ${spec.owner} on ${instance.name}`)
  const category = JOB_CATEGORIES.find((c) => c.name === (spec.category ?? '[Uncategorized (Local)]'))
  if (!category) throw new TypeError(`job ${spec.name}: no job category ${spec.category}`)
  const steps: JobStep[] = spec.steps.map((s, i) => ({
    id: i + 1,
    name: s.name,
    subsystem: s.subsystem ?? 'TSQL',
    command: s.command,
    databaseName: s.database ?? 'master',
    onSuccessAction: i === spec.steps.length - 1 ? 1 : 3,
    onFailAction: 2,
    retryAttempts: 0,
    retryInterval: 0,
  }))
  const schedules: JobSchedule[] = (spec.schedules ?? []).map((s) => ({
    id: objects.nextScheduleId++,
    uid: randomUUID().toUpperCase(),
    name: s.name,
    enabled: true,
    ownerSid: owner.sid,
    freqType: s.freqType ?? 4,
    freqInterval: s.freqInterval ?? 1,
    freqSubdayType: 1,
    freqSubdayInterval: 0,
    freqRelativeInterval: 0,
    freqRecurrenceFactor: 0,
    activeStartDate: 20250101,
    activeEndDate: 99991231,
    activeStartTime: s.activeStartTime ?? 0,
    activeEndTime: 235959,
  }))
  objects.schedules.push(...schedules)
  const job: AgentJob = {
    id: randomUUID().toUpperCase(),
    name: spec.name,
    enabled: spec.enabled ?? true,
    description: spec.description ?? 'No description available.',
    categoryId: category.id,
    ownerSid: owner.sid,
    startStepId: 1,
    steps,
    scheduleIds: schedules.map((s) => s.id),
    serverIds: [0],
    createdAt: now,
  }
  objects.jobs.push(job)
}

function seedLinkedServer(instance: Instance, spec: LinkedServerSpec): void {
  const objects = instance.serverObjects
  const server: LinkedServer = {
    id: objects.nextServerId++,
    name: spec.name,
    product: spec.product ?? '',
    provider: spec.provider ?? 'MSOLEDBSQL',
    dataSource: spec.dataSource ?? spec.name,
    location: null,
    providerString: null,
    catalog: spec.catalog ?? null,
    logins: [{ localPrincipalId: 0, usesSelfCredential: true, remoteName: null, remotePassword: null }],
  }
  for (const login of spec.logins ?? []) {
    const local = login.local === null ? undefined : instance.logins.get(login.local.toLowerCase())
    if (login.local !== null && !local) throw new TypeError(`linked login: no login ${login.local}`)
    const mapping = {
      localPrincipalId: local?.principalId ?? 0,
      usesSelfCredential: false,
      remoteName: login.remoteUser,
      remotePassword: login.remotePassword,
    }
    server.logins = [...server.logins.filter((l) => l.localPrincipalId !== mapping.localPrincipalId), mapping]
  }
  objects.linkedServers.push(server)
}

/** Puts the spec's jobs, linked servers and credentials on a freshly built instance. */
export function seedServerObjects(instance: Instance, spec: ServerObjectsSpec, now: number): void {
  for (const job of spec.jobs ?? []) seedJob(instance, job, now)
  for (const server of spec.linkedServers ?? []) seedLinkedServer(instance, server)
  for (const credential of spec.credentials ?? [])
    instance.serverObjects.credentials.push({
      id: instance.serverObjects.nextCredentialId++,
      ...credential,
      createdAt: now,
    })
}

/** Jobs, linked servers and credentials as plain data for world snapshots (never a password or secret). */
export function snapshotServerObjects(objects: ServerObjects) {
  return {
    jobs: Object.fromEntries(
      objects.jobs.map(({ id: _id, createdAt: _at, ownerSid, ...job }) => [
        job.name,
        { ...structuredClone(job), ownerSid: ownerSid.toString('hex') },
      ]),
    ),
    schedules: objects.schedules.map(({ uid: _uid, ownerSid, ...s }) => ({
      ...s,
      ownerSid: ownerSid.toString('hex'),
    })),
    linkedServers: Object.fromEntries(
      objects.linkedServers.map((s) => [
        s.name,
        { ...s, logins: s.logins.map(({ remotePassword: _p, ...l }) => ({ ...l })) },
      ]),
    ),
    credentials: Object.fromEntries(objects.credentials.map((c) => [c.name, { identity: c.identity }])),
  }
}
