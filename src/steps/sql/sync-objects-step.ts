import type { SqlConnection } from '../../clients/sql.js'
import { RefusedBeforeActingError, SwitchyardError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { instanceOf } from './common.js'
import type { SyncObjectsParams } from './sync-objects.js'
import { changesOf, judge, targetOf, type Verdict } from './sync-objects-plan.js'
import { readServerObjects, type ServerObject } from './sync-objects-read.js'
import {
  createJobBatch,
  createLinkedServerBatch,
  createLoginBatch,
  dropJob,
  dropLinkedServer,
  dropLogin,
} from './sync-objects-sql.js'

/** One object apply is about to create, journaled first: compensate removes exactly these (a login only with its SID). */
export interface SyncObjectsUndo {
  kind: 'login' | 'job' | 'linked_server'
  name: string
  sid?: string
}

/** A checkpoint: this run began creating the object, so a half-made one found after a crash is its own to redo. */
interface Creating {
  creating: string
}

const keyOf = (o: { kind: string; name: string }) => `${o.kind}:${o.name.toLowerCase()}`

const ALL_KINDS = ['logins', 'jobs', 'linked_servers', 'credentials']

interface Situation {
  source: SqlConnection
  replica: SqlConnection
  verdicts: Verdict[]
}

async function situation(ctx: StepContext, p: SyncObjectsParams): Promise<Situation> {
  const [source, replica] = await Promise.all([ctx.sql(p.source), ctx.sql(p.replica)])
  const kinds = new Set(p.kinds ?? ALL_KINDS)
  const [sourceObjects, replicaObjects, sourceInstance] = await Promise.all([
    readServerObjects(source, kinds),
    readServerObjects(replica, kinds),
    instanceOf(source),
  ])
  const machine = sourceInstance.server_name.split('\\')[0] ?? sourceInstance.server_name
  return { source, replica, verdicts: judge(p, sourceObjects, replicaObjects, machine) }
}

/** A password hash is secret-grade: an error that quotes the batch (a syntax error near it) must not carry it out. */
const HASH_CONSTANT = /0x0200[0-9a-f]{8,}/gi

/** The same error (its class, SQL error number, exit code and hint kept), with any hash in its text masked. */
function withoutHash(error: unknown, what: string): unknown {
  if (!(error instanceof Error) || !error.message.match(HASH_CONSTANT)) return error
  error.message = `${what}: ${error.message.replace(HASH_CONSTANT, '0x…')}`
  error.stack = error.stack?.replace(HASH_CONSTANT, '0x…')
  return error
}

function batchFor(object: ServerObject): string {
  if (object.kind === 'login') return createLoginBatch(object)
  if (object.kind === 'job') return createJobBatch(object)
  if (object.kind === 'linked_server') return createLinkedServerBatch(object)
  throw new Error(`credentials are never created by sql.sync-objects (${object.name})`)
}

function dropFor(undo: SyncObjectsUndo): string {
  if (undo.kind === 'login') return dropLogin(undo.name)
  if (undo.kind === 'job') return dropJob(undo.name)
  return dropLinkedServer(undo.name)
}

function refuseConflicts(p: SyncObjectsParams, verdicts: Verdict[], replica: string): void {
  const conflicts = verdicts.filter((v) => v.verdict === 'conflict')
  if (p.on_conflict !== 'fail' || conflicts.length === 0) return
  throw new RefusedBeforeActingError(
    `${conflicts.length} object(s) exist on ${replica} with another definition: ${conflicts
      .map((v) => `${targetOf(v.object)} (${v.verdict === 'conflict' ? v.differences.join(', ') : ''})`)
      .join('; ')}`,
    {
      hint: 'make them match on the replica, leave them out with exclude:, or set on_conflict: skip to keep the replica’s',
    },
  )
}

/** Creates one object: undo first, then a checkpoint, then the batch; a half-made one of this run is made again. */
async function createObject(ctx: StepContext, p: SyncObjectsParams, s: Situation, object: ServerObject) {
  const undo: SyncObjectsUndo = {
    kind: object.kind as SyncObjectsUndo['kind'],
    name: object.name,
    ...(object.kind === 'login' ? { sid: object.sid } : {}),
  }
  await ctx.recordUndo(undo)
  await ctx.checkpoint({ creating: keyOf(object) } satisfies Creating)
  ctx.progress({ message: `creating ${targetOf(object)} on ${p.replica}` })
  try {
    await s.replica.change(`create ${targetOf(object)}`, batchFor(object))
  } catch (error) {
    throw withoutHash(error, `creating ${targetOf(object)} on ${p.replica} failed`)
  }
}

const begun = (ctx: StepContext) =>
  new Set(
    ctx.checkpoints
      .filter((c): c is Creating => typeof (c as Creating)?.creating === 'string')
      .map((c) => c.creating),
  )

function outputsOf(verdicts: Verdict[], created: Set<string>) {
  const names = (kind: string) =>
    verdicts
      .filter((v) => v.verdict !== 'manual' && v.object.kind === kind && created.has(keyOf(v.object)))
      .map((v) => v.object.name)
  return {
    created: { logins: names('login'), jobs: names('job'), linked_servers: names('linked_server') },
    skipped: verdicts
      .filter((v) => v.verdict === 'conflict' || v.verdict === 'blocked')
      .map((v) => targetOf(v.object)),
    manual: verdicts.flatMap((v) => (v.verdict === 'manual' ? [v.what] : [])),
  }
}

export const syncObjectsStep: StepImplementation<SyncObjectsParams> = {
  async plan(ctx, p) {
    const s = await situation(ctx, p)
    const changes = changesOf(s.verdicts, p, p.replica)
    return changes.length ? { changes } : { changes, outputs: outputsOf(s.verdicts, new Set()) }
  },

  async precondition(ctx, p) {
    refuseConflicts(p, (await situation(ctx, p)).verdicts, p.replica)
  },

  async apply(ctx, p) {
    let s = await situation(ctx, p)
    const mine = begun(ctx)
    // A conflict this run made (created, then stopped before its roles or schedules) is redone, not skipped
    const halfMade = s.verdicts.filter((v) => v.verdict === 'conflict' && mine.has(keyOf(v.object)))
    for (const v of halfMade) {
      ctx.progress({
        message: `removing the half-made ${targetOf(v.object)} this run began, to create it again`,
      })
      await s.replica.change(
        `remove ${targetOf(v.object)}`,
        dropFor({ kind: v.object.kind as SyncObjectsUndo['kind'], name: v.object.name }),
      )
    }
    if (halfMade.length) s = await situation(ctx, p)
    refuseConflicts(p, s.verdicts, p.replica)
    for (const v of s.verdicts) {
      if (v.verdict === 'conflict' || v.verdict === 'blocked')
        ctx.warn(changesOf([v], p, p.replica)[0]?.summary ?? targetOf(v.object))
      if (v.verdict === 'manual') ctx.warn(`for the operator on ${p.replica}: ${v.what}`)
    }
    // Logins first (jobs and linked logins name them), then linked servers, then jobs
    const order = ['login', 'linked_server', 'job']
    const toCreate = s.verdicts
      .filter((v) => v.verdict === 'create' && order.includes(v.object.kind))
      .sort((a, b) => order.indexOf(a.object.kind) - order.indexOf(b.object.kind))
    for (const v of toCreate) {
      await createObject(ctx, p, s, v.object)
      mine.add(keyOf(v.object))
    }
    return outputsOf(s.verdicts, mine)
  },

  async verify(ctx, p) {
    const left = (await situation(ctx, p)).verdicts.filter(
      (v) => v.verdict === 'create' && v.object.kind !== 'credential',
    )
    if (left.length)
      throw new SwitchyardError(
        `${p.replica} still lacks ${left.map((v) => targetOf(v.object)).join(', ')}`,
        {
          hint: 'run the step again; if it persists, read the replica’s error log',
        },
      )
  },

  describeUndo(p, undo) {
    return removalOrder(undo as SyncObjectsUndo[]).map(
      (u) =>
        `remove ${targetOf({ kind: u.kind, name: u.name } as ServerObject)} from ${p.replica} (created by this run)`,
    )
  },

  async compensate(ctx, p, undo) {
    const replica = await ctx.sql(p.replica)
    const there = await readServerObjects(replica, new Set(ALL_KINDS))
    for (const u of removalOrder(undo as SyncObjectsUndo[])) {
      const found =
        u.kind === 'login'
          ? there.logins.find((l) => l.name.toLowerCase() === u.name.toLowerCase() && l.sid === u.sid)
          : (u.kind === 'job' ? there.jobs : there.linkedServers).find(
              (o) => o.name.toLowerCase() === u.name.toLowerCase(),
            )
      const what = targetOf({ kind: u.kind, name: u.name } as ServerObject)
      if (!found) {
        ctx.progress({ message: `${what} is not on ${p.replica} (never created, or already removed)` })
        continue
      }
      ctx.progress({ message: `removing ${what} from ${p.replica}` })
      await replica.change(`remove ${what}`, dropFor(u))
    }
  },
}

/** Jobs before linked servers before logins (a login that owns a job cannot be dropped: 15170); each once. */
function removalOrder(undo: SyncObjectsUndo[]): SyncObjectsUndo[] {
  const order = ['job', 'linked_server', 'login']
  const seen = new Set<string>()
  return undo
    .slice()
    .reverse()
    .filter((u) => {
      const key = keyOf(u)
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))
}
