import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Login, LoginType, Permission } from './model.js'

/**
 * What an instance holds outside its databases, as SQL Server keeps it: logins (master), Agent jobs and schedules
 * (msdb), linked servers and credentials. Logins live in `Instance.logins`; the rest here.
 */

export interface JobStep {
  id: number
  name: string
  subsystem: string
  command: string
  databaseName: string | null
  /** 1 quit with success, 2 quit with failure, 3 go to the next step, 4 go to on_success_step_id. */
  onSuccessAction: number
  onFailAction: number
  retryAttempts: number
  retryInterval: number
}

export interface JobSchedule {
  id: number
  uid: string
  name: string
  enabled: boolean
  ownerSid: Buffer
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
}

export interface AgentJob {
  id: string
  name: string
  enabled: boolean
  description: string
  categoryId: number
  ownerSid: Buffer
  startStepId: number
  steps: JobStep[]
  scheduleIds: number[]
  /** sp_add_jobserver: the servers that run it (0 = the local server); a job without one never runs. */
  serverIds: number[]
  createdAt: number
}

export interface LinkedLogin {
  /** 0: every local login (the default mapping sp_addlinkedserver makes). */
  localPrincipalId: number
  usesSelfCredential: boolean
  remoteName: string | null
  /** Write-only, as on SQL Server: no view returns it. */
  remotePassword: string | null
}

export interface LinkedServer {
  id: number
  name: string
  product: string
  provider: string
  dataSource: string | null
  location: string | null
  providerString: string | null
  catalog: string | null
  logins: LinkedLogin[]
}

export interface Credential {
  id: number
  name: string
  identity: string
  /** Write-only, as on SQL Server. */
  secret: string | null
  createdAt: number
}

export interface ServerObjects {
  jobs: AgentJob[]
  schedules: JobSchedule[]
  linkedServers: LinkedServer[]
  credentials: Credential[]
  nextPrincipalId: number
  nextScheduleId: number
  nextServerId: number
  nextCredentialId: number
}

/** msdb.dbo.syscategories' job categories (category_class 1, type 1 local) a fresh msdb has. */
export const JOB_CATEGORIES: { id: number; name: string }[] = [
  { id: 0, name: '[Uncategorized (Local)]' },
  { id: 3, name: 'Database Maintenance' },
  { id: 5, name: 'Full-Text' },
  { id: 6, name: 'Jobs from MSX' },
  { id: 98, name: 'Data Collector' },
]

/** The fixed server roles and their principal ids (sys.server_principals type R). */
export const FIXED_SERVER_ROLES: Record<string, number> = {
  public: 2,
  sysadmin: 3,
  securityadmin: 4,
  serveradmin: 5,
  setupadmin: 6,
  processadmin: 7,
  diskadmin: 8,
  dbcreator: 9,
  bulkadmin: 10,
}

export const emptyServerObjects = (): ServerObjects => ({
  jobs: [],
  schedules: [],
  linkedServers: [],
  credentials: [],
  nextPrincipalId: 259,
  nextScheduleId: 9,
  nextServerId: 1,
  nextCredentialId: 65536,
})

const sha = (algorithm: string, ...parts: Buffer[]) => {
  const hash = createHash(algorithm)
  for (const part of parts) hash.update(part)
  return hash.digest()
}

/** SQL Server 2012+'s password hash: 0x0200, a 4-byte salt, SHA-512 of the UTF-16LE password followed by the salt. */
export function passwordHash(password: string, salt: Buffer = randomBytes(4)): Buffer {
  return Buffer.concat([Buffer.from([2, 0]), salt, sha('sha512', Buffer.from(password, 'utf16le'), salt)])
}

/** What CREATE LOGIN … HASHED accepts: the 2012+ form (70 bytes, version 2). */
export const isPasswordHash = (hash: Buffer) => hash.length === 70 && hash[0] === 2 && hash[1] === 0

/** PWDCOMPARE: hashes the attempt with the stored salt. */
export function passwordMatches(login: Login, attempt: string): boolean {
  const stored = login.passwordHash
  if (!stored || !isPasswordHash(stored)) return false
  return timingSafeEqual(stored, passwordHash(attempt, stored.subarray(2, 6)))
}

/** A Windows account's SID as the domain would answer it: the same account has the same SID on every instance. */
export function windowsSid(account: string): Buffer {
  const digest = sha('sha256', Buffer.from(account.toLowerCase(), 'utf8'))
  // S-1-5-21-a-b-c-rid: revision 1, 5 sub-authorities, NT authority (5)
  const sid = Buffer.alloc(28)
  sid[0] = 1
  sid[1] = 5
  sid.writeUIntBE(5, 2, 6)
  sid.writeUInt32LE(21, 8)
  digest.copy(sid, 12, 0, 12)
  sid.writeUInt32LE(1000 + (digest.readUInt16LE(12) % 50_000), 24)
  return sid
}

export interface NewLogin {
  name: string
  type: LoginType
  sid: Buffer
  passwordHash: Buffer | null
  sysadmin?: boolean
  serverRoles?: string[]
  permissions?: Permission[]
  disabled?: boolean
  defaultDatabase?: string
  defaultLanguage?: string
  checkPolicy?: boolean
  checkExpiration?: boolean
}

/** A login as CREATE LOGIN leaves it: enabled, master, us_english, policy checked, expiration not. */
export function newLogin(objects: ServerObjects, spec: NewLogin, now: number): Login {
  return {
    name: spec.name,
    principalId: objects.nextPrincipalId++,
    type: spec.type,
    sid: spec.sid,
    passwordHash: spec.passwordHash,
    sysadmin: spec.sysadmin ?? false,
    serverRoles: spec.serverRoles ?? [],
    permissions: spec.permissions ?? [],
    disabled: spec.disabled ?? false,
    defaultDatabase: spec.defaultDatabase ?? 'master',
    defaultLanguage: spec.defaultLanguage ?? 'us_english',
    checkPolicy: spec.type === 'SQL_LOGIN' ? (spec.checkPolicy ?? true) : false,
    checkExpiration: spec.type === 'SQL_LOGIN' ? (spec.checkExpiration ?? false) : false,
    createdAt: now,
  }
}

const seedDigest = (name: string) => sha('sha256', Buffer.from(`login:${name.toLowerCase()}`, 'utf8'))

/** The SID and salt of a login the world was built with: derived from its name, so every instance agrees. */
export function seededLoginSecrets(name: string, password: string): { sid: Buffer; passwordHash: Buffer } {
  const digest = seedDigest(name)
  return { sid: digest.subarray(0, 16), passwordHash: passwordHash(password, digest.subarray(16, 20)) }
}

/** The SID a login of this name has when the world creates it (sa, a DOMAIN\account or a SQL login). */
export function seededSid(name: string): Buffer {
  if (name.toLowerCase() === 'sa') return Buffer.from([1])
  return name.includes('\\') ? windowsSid(name) : seedDigest(name).subarray(0, 16)
}

export const hex = (bytes: Buffer) => `0x${bytes.toString('hex').toUpperCase()}`
