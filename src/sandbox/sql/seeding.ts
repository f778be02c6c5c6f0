import { randomUUID } from 'node:crypto'
import type { AvailabilityGroup, Database, Instance, Seed } from './model.js'
import { folderKey, folderOf, sameName } from './model.js'
import type { SqlWorld } from './world.js'

/** SQL Server seeds at most five databases at once toward one replica; the rest wait for a slot. */
export const MAX_CONCURRENT_SEEDS = 5
/** Network wait a moving seed accumulates per second of transfer (a stalled one accumulates all of it). */
const NETWORK_WAIT_SHARE = 0.05

const isRunning = (seed: Seed) => seed.state === 'SEEDING' || seed.state === 'LIMIT_CONCURRENT_BACKUPS'

const runningToward = (world: SqlWorld, target: string) =>
  world.seeds.filter((s) => s.state === 'SEEDING' && sameName(s.target, target))

/**
 * Starts a seed for every AG database missing on every joined, granted, AUTOMATIC secondary. A (replica, database)
 * whose last seed FAILED is retried only when `retryFailed` (MODIFY REPLICA … SEEDING_MODE = AUTOMATIC, GRANT).
 */
export function startSeeds(
  world: SqlWorld,
  group: AvailabilityGroup,
  options: { retryFailed: boolean },
): void {
  const primary = world.primaryIn(group)
  if (!primary) return
  const source = world.instance(primary.server)
  for (const replica of group.replicas) {
    if (replica.role !== 'SECONDARY' || !replica.joined || replica.seedingMode !== 'AUTOMATIC') continue
    if (!replica.createAnyDatabaseGranted) continue
    const target = world.instance(replica.server)
    for (const { name } of group.databases) {
      if (world.database(target, name)) continue
      const history = world.seeds.filter(
        (s) => sameName(s.target, replica.server) && sameName(s.database, name),
      )
      if (history.some(isRunning)) continue
      if (history.at(-1)?.state === 'FAILED' && !options.retryFailed) continue
      const db = world.database(source, name)
      if (!db) continue
      const full = runningToward(world, replica.server).length >= MAX_CONCURRENT_SEEDS
      // The target restores the seeded stream into folders that must exist (5133 there, as for a RESTORE)
      const nowhere = seededFiles(db, source, target).some(
        (f) => !target.folders.has(folderOf(f.physicalName)),
      )
      world.seeds.push({
        operationId: randomUUID().toUpperCase(),
        ag: group.name,
        database: db.name,
        source: source.name,
        target: target.name,
        startTime: world.now(),
        completionTime: null,
        state: full ? 'LIMIT_CONCURRENT_BACKUPS' : 'SEEDING',
        failureState: null,
        errorCode: null,
        transferredBytes: 0,
        sizeBytes: db.files.filter((f) => f.type === 'ROWS').reduce((sum, f) => sum + f.sizeBytes, 0),
        networkWaitMs: 0,
        failWith: world.takeSeedFailure(replica.server, db.name),
      })
      const started = world.seeds.at(-1)
      if (nowhere && started) failSeed(world, started, 202, 5133)
      world.countSeed(replica.server, db.name)
    }
  }
}

/**
 * Where automatic seeding creates the files (Microsoft, "Disk layout"): from SQL Server 2017 a file under the
 * primary's default data or log folder goes to the same place under the target's; every other file, and every file
 * on 2016, at the primary's own path.
 */
export function seededFiles(source: Database, from: Instance, to: Instance): Database['files'] {
  const major = Number(to.productVersion.split('.')[0])
  const pairs = [
    [from.defaultDataPath, to.defaultDataPath],
    [from.defaultLogPath, to.defaultLogPath],
  ]
  return source.files.map((f) => {
    const under =
      major >= 14 ? pairs.find(([a]) => folderOf(f.physicalName).startsWith(folderKey(a ?? ''))) : undefined
    if (!under) return { ...f }
    return { ...f, physicalName: `${under[1]}${f.physicalName.slice(folderKey(under[0] ?? '').length)}` }
  })
}

export function failSeed(world: SqlWorld, seed: Seed, failureState: number, errorCode: number): void {
  seed.state = 'FAILED'
  seed.completionTime = world.now()
  seed.failureState = failureState
  seed.errorCode = errorCode
}

function completeSeed(world: SqlWorld, seed: Seed): void {
  seed.transferredBytes = seed.sizeBytes
  seed.state = 'COMPLETED'
  seed.completionTime = world.now()
  seed.errorCode = 0
  const group = world.group(seed.ag)
  const entry = group?.databases.find((d) => sameName(d.name, seed.database))
  const source = world.database(world.instance(seed.source), seed.database)
  const target = world.instance(seed.target)
  if (!group || !entry || !source || world.database(target, seed.database)) return
  const copy = world.copyDatabase(
    source,
    target,
    'ONLINE',
    seededFiles(source, world.instance(seed.source), target),
  )
  copy.ag = group.name
  copy.groupDatabaseId = entry.groupDatabaseId
  copy.syncSince = world.now()
}

/** The bytes per second each running seed toward a replica gets (they share the link). */
export function seedRate(world: SqlWorld, seed: Seed): number {
  const { replica } = world.replica(seed.target)
  if (seed.state !== 'SEEDING' || !replica.connected || world.isStalled(seed.target, seed.database)) return 0
  const moving = runningToward(world, seed.target).filter(
    (s) => !world.isStalled(s.target, s.database) && world.replica(s.target).replica.connected,
  )
  return world.seedingBytesPerSecond / Math.max(1, moving.length)
}

/** Where a moving seed next changes state: at its injected failure point (half way) or at its end. */
const nextMilestone = (seed: Seed) => (seed.failWith ? Math.floor(seed.sizeBytes / 2) : seed.sizeBytes)

/**
 * Moves running seeds through elapsedMs in steps that end where a seed finishes or fails, so that waiting seeds take
 * freed slots and the shared rate is recomputed mid-interval (a test that jumps the clock sees what real time would).
 */
export function advanceSeeds(world: SqlWorld, elapsedMs: number): void {
  let remainingMs = elapsedMs
  for (;;) {
    promoteWaitingSeeds(world)
    const running = world.seeds.filter((s) => s.state === 'SEEDING')
    const rates = new Map(running.map((s) => [s, seedRate(world, s)]))
    const moving = running.filter((s) => (rates.get(s) ?? 0) > 0)
    const untilEvent = Math.min(
      ...moving.map((s) => ((nextMilestone(s) - s.transferredBytes) / (rates.get(s) ?? 1)) * 1000),
    )
    const stepMs = Math.max(0, Math.min(remainingMs, untilEvent))
    for (const seed of running) {
      const rate = rates.get(seed) ?? 0
      seed.networkWaitMs += rate === 0 ? stepMs : stepMs * NETWORK_WAIT_SHARE
      if (rate === 0) continue
      seed.transferredBytes = Math.min(nextMilestone(seed), seed.transferredBytes + (rate * stepMs) / 1000)
      if (seed.transferredBytes < nextMilestone(seed)) continue
      if (seed.failWith) failSeed(world, seed, seed.failWith.failureState, seed.failWith.errorCode)
      else completeSeed(world, seed)
    }
    remainingMs -= stepMs
    if (remainingMs <= 0 || moving.length === 0) break
  }
  promoteWaitingSeeds(world)
}

function promoteWaitingSeeds(world: SqlWorld): void {
  for (const seed of world.seeds) {
    if (seed.state !== 'LIMIT_CONCURRENT_BACKUPS') continue
    if (runningToward(world, seed.target).length < MAX_CONCURRENT_SEEDS) seed.state = 'SEEDING'
  }
}

/** Seeds toward a removed replica, or from a primary that stopped being one, end as FAILED. */
export function abandonSeeds(world: SqlWorld, match: (seed: Seed) => boolean, failureState: number): void {
  for (const seed of world.seeds) if (isRunning(seed) && match(seed)) failSeed(world, seed, failureState, 0)
}
