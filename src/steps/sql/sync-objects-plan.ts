import { isDeepStrictEqual } from 'node:util'
import type { Change } from '../../engine/events.js'
import type { SyncObjectsParams } from './sync-objects.js'
import type {
  CredentialObject,
  JobObject,
  LinkedServerObject,
  LoginObject,
  ServerObject,
  ServerObjects,
} from './sync-objects-read.js'

/** What the step does with one object of the source. */
export type Verdict =
  | { object: ServerObject; verdict: 'create' }
  | { object: ServerObject; verdict: 'in-place' }
  /** The replica has one by that name, defined otherwise: skipped (or the step fails, on_conflict: fail). */
  | { object: ServerObject; verdict: 'conflict'; differences: string[] }
  /** It cannot be created as it is (a job whose owner the replica lacks). */
  | { object: ServerObject; verdict: 'blocked'; reason: string }
  /** Only an operator can do it: a secret SQL Server never returns. */
  | { object: ServerObject; verdict: 'manual'; what: string }

/** Logins every instance has of its own, or that name the source machine: never copied. */
function isSystemLogin(name: string, sourceMachine: string): boolean {
  const lower = name.toLowerCase()
  return (
    lower === 'sa' ||
    lower.startsWith('##') ||
    ['nt service\\', 'nt authority\\', 'builtin\\', `${sourceMachine.toLowerCase()}\\`].some((p) =>
      lower.startsWith(p),
    )
  )
}

/** `*` and `?` wildcards, compared as SQL Server compares names (case-insensitively); backslashes are literal. */
function wildcard(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${body}$`, 'is')
}

export function nameFilter(p: Pick<SyncObjectsParams, 'include' | 'exclude'>): (name: string) => boolean {
  const include = (p.include ?? []).map(wildcard)
  const exclude = (p.exclude ?? []).map(wildcard)
  return (name) =>
    (include.length === 0 || include.some((r) => r.test(name))) && !exclude.some((r) => r.test(name))
}

const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b)

function loginDifferences(a: LoginObject, b: LoginObject): string[] {
  const d: string[] = []
  if (a.type !== b.type) d.push(`type ${b.type} (source ${a.type})`)
  if (a.sid !== b.sid) d.push(`SID ${b.sid} (source ${a.sid})`)
  if (a.type === 'SQL_LOGIN' && !(a.passwordHash && b.passwordHash && a.passwordHash.equals(b.passwordHash)))
    d.push('another password')
  if (a.disabled !== b.disabled) d.push(b.disabled ? 'disabled' : 'enabled')
  if (a.defaultDatabase.toLowerCase() !== b.defaultDatabase.toLowerCase())
    d.push(`default database ${b.defaultDatabase} (source ${a.defaultDatabase})`)
  if (a.checkPolicy !== b.checkPolicy || a.checkExpiration !== b.checkExpiration)
    d.push('other password policy')
  if (!same(a.roles, b.roles))
    d.push(`roles ${b.roles.join(', ') || 'none'} (source ${a.roles.join(', ') || 'none'})`)
  return d
}

function jobDifferences(a: JobObject, b: JobObject): string[] {
  const d: string[] = []
  if (a.enabled !== b.enabled) d.push(b.enabled ? 'enabled' : 'disabled')
  if (a.owner.toLowerCase() !== b.owner.toLowerCase()) d.push(`owner ${b.owner} (source ${a.owner})`)
  if (a.category !== b.category || a.description !== b.description) d.push('other category or description')
  if (!same(a.steps, b.steps)) d.push('other steps')
  if (!same(a.schedules, b.schedules)) d.push('other schedules')
  if (a.targeted !== b.targeted) d.push(b.targeted ? 'targeted at the server' : 'not targeted at the server')
  return d
}

const selfMappings = (s: LinkedServerObject) => s.logins.filter((l) => l.useSelf)

function linkedServerDifferences(a: LinkedServerObject, b: LinkedServerObject): string[] {
  const d: string[] = []
  const { logins: _a, ...defA } = a
  const { logins: _b, ...defB } = b
  if (!same(defA, defB)) d.push('another provider, data source or catalog')
  if (!same(selfMappings(a), selfMappings(b))) d.push('other login mappings')
  return d
}

function credentialDifferences(a: CredentialObject, b: CredentialObject): string[] {
  return a.identity === b.identity ? [] : [`identity ${b.identity} (source ${a.identity})`]
}

function compare<T extends ServerObject>(
  source: T[],
  replica: T[],
  differences: (a: T, b: T) => string[],
): Verdict[] {
  return source.map((object) => {
    const there = replica.find((r) => r.name.toLowerCase() === object.name.toLowerCase())
    if (!there) return { object, verdict: 'create' }
    const d = differences(object, there)
    return d.length === 0 ? { object, verdict: 'in-place' } : { object, verdict: 'conflict', differences: d }
  })
}

/** A job can be created only when its owner is on the replica or copied with it. */
function blockJobsWithoutOwner(verdicts: Verdict[], replica: ServerObjects): Verdict[] {
  const owners = new Set([
    ...replica.logins.map((l) => l.name.toLowerCase()),
    ...verdicts
      .filter((v) => v.verdict === 'create' && v.object.kind === 'login')
      .map((v) => v.object.name.toLowerCase()),
  ])
  return verdicts.map((v) =>
    v.verdict === 'create' && v.object.kind === 'job' && !owners.has(v.object.owner.toLowerCase())
      ? {
          object: v.object,
          verdict: 'blocked',
          reason: `its owner ${v.object.owner} is not on the replica and is not copied`,
        }
      : v,
  )
}

/** Mappings to a remote user and password, which an operator must make (no view returns the password). */
function remoteLoginChores(source: LinkedServerObject[], replica: LinkedServerObject[]): Verdict[] {
  return source.flatMap((server) => {
    const there = replica.find((r) => r.name.toLowerCase() === server.name.toLowerCase())
    return server.logins
      .filter((l) => !l.useSelf)
      .filter((l) => !there?.logins.some((t) => same(t, l)))
      .map(
        (l): Verdict => ({
          object: server,
          verdict: 'manual',
          what: `map ${l.local ?? 'every login'} to remote user ${l.remoteUser ?? '(none)'} on linked server ${server.name} with its password (sp_addlinkedsrvlogin): SQL Server never returns a remote password`,
        }),
      )
  })
}

/** A SQL login whose hash the source would not show (no CONTROL SERVER) cannot be copied with its password. */
const withoutReadableHash = (v: Verdict): Verdict =>
  v.verdict === 'create' &&
  v.object.kind === 'login' &&
  v.object.type === 'SQL_LOGIN' &&
  !v.object.passwordHash
    ? {
        object: v.object,
        verdict: 'blocked',
        reason:
          'the source shows no password hash for it (the source login needs CONTROL SERVER, e.g. sysadmin)',
      }
    : v

/** ALTER SERVER ROLE … ADD MEMBER needs the role on the replica: a user-defined one is not copied. */
const withRolesOn =
  (replica: ServerObjects) =>
  (v: Verdict): Verdict => {
    if (v.verdict !== 'create' || v.object.kind !== 'login') return v
    const have = new Set(replica.serverRoles.map((r) => r.toLowerCase()))
    const missing = v.object.roles.filter((r) => !have.has(r.toLowerCase()))
    return missing.length === 0
      ? v
      : {
          object: v.object,
          verdict: 'blocked',
          reason: `server role ${missing.join(', ')} is not on the replica`,
        }
  }

/** Every object of the wanted kinds and names, and what the step does with it, in a stable order. */
export function judge(
  p: SyncObjectsParams,
  source: ServerObjects,
  replica: ServerObjects,
  sourceMachine: string,
): Verdict[] {
  const kinds = new Set(p.kinds ?? ['logins', 'jobs', 'linked_servers', 'credentials'])
  const wanted = nameFilter(p)
  const pick = <T extends ServerObject>(objects: T[]) => objects.filter((o) => wanted(o.name))
  const logins = kinds.has('logins')
    ? compare(
        pick(source.logins).filter((l) => !isSystemLogin(l.name, sourceMachine)),
        replica.logins,
        loginDifferences,
      )
        .map(withoutReadableHash)
        .map(withRolesOn(replica))
    : []
  const linked = pick(source.linkedServers)
  const verdicts = [
    ...logins,
    ...compare(linked, replica.linkedServers, linkedServerDifferences),
    ...remoteLoginChores(linked, replica.linkedServers),
    ...compare(pick(source.jobs), replica.jobs, jobDifferences),
    ...compare(pick(source.credentials), replica.credentials, credentialDifferences).map((v) =>
      v.verdict === 'create'
        ? ({
            object: v.object,
            verdict: 'manual',
            what: `create credential ${v.object.name} (identity ${(v.object as CredentialObject).identity}) with its secret: SQL Server never returns a secret`,
          } satisfies Verdict)
        : v,
    ),
  ]
  return blockJobsWithoutOwner(verdicts, replica)
}

const KIND_WORDS = {
  login: 'login',
  job: 'Agent job',
  linked_server: 'linked server',
  credential: 'credential',
}

export const targetOf = (object: ServerObject) => `${KIND_WORDS[object.kind]} ${object.name}`

function creationSummary(object: ServerObject): string {
  switch (object.kind) {
    case 'login': {
      const roles = object.roles.filter((r) => r !== 'public')
      const extras = [
        `default database ${object.defaultDatabase}`,
        ...(roles.length ? [`roles ${roles.join(', ')}`] : []),
        ...(object.disabled ? ['disabled'] : []),
      ].join(', ')
      return object.type === 'SQL_LOGIN'
        ? `create SQL login ${object.name} with SID ${object.sid} and the source's password hash (policy ${object.checkPolicy ? 'ON' : 'OFF'}, expiration ${object.checkExpiration ? 'ON' : 'OFF'}, ${extras})`
        : `create Windows ${object.type === 'WINDOWS_GROUP' ? 'group' : 'login'} ${object.name} (${extras})`
    }
    case 'job':
      return `create Agent job ${object.name} (owner ${object.owner}, ${object.steps.length} step(s), schedules: ${object.schedules.map((s) => s.name).join(', ') || 'none'}${object.enabled ? '' : ', disabled'})`
    case 'linked_server':
      return `create linked server ${object.name} (${object.product || object.provider}${object.dataSource ? `, data source ${object.dataSource}` : ''})`
    case 'credential':
      return `create credential ${object.name}`
  }
}

/** The plan's lines: each creation, each object skipped and why, each chore left to the operator. */
export function changesOf(verdicts: Verdict[], p: SyncObjectsParams, replicaTarget: string): Change[] {
  return verdicts.flatMap((v): Change[] => {
    const target = targetOf(v.object)
    switch (v.verdict) {
      case 'create':
        return [{ action: 'create', target, summary: `${creationSummary(v.object)} on ${replicaTarget}` }]
      case 'conflict':
        return [
          {
            action: p.on_conflict === 'fail' ? 'conflict' : 'skip',
            target,
            summary: `${target} is on ${replicaTarget} with ${v.differences.join(', ')}: ${p.on_conflict === 'fail' ? 'the step fails before creating anything (on_conflict: fail)' : 'left as it is (on_conflict: skip)'}`,
          },
        ]
      case 'blocked':
        return [{ action: 'skip', target, summary: `${target} is left out: ${v.reason}` }]
      case 'manual':
        return [{ action: 'manual', target, summary: `for the operator on ${replicaTarget}: ${v.what}` }]
    }
    return []
  })
}
