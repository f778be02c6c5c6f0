import type { AvailabilityGroup, Database, Replica } from './model.js'
import type { SqlWorld } from './world.js'

/** How far an asynchronous (or still catching up) copy trails the primary's log, in bytes. */
const TRAILING_BYTES = 3 * 1024

export type SynchronizationState = 'NOT SYNCHRONIZING' | 'SYNCHRONIZING' | 'SYNCHRONIZED'
export type Health = 'HEALTHY' | 'PARTIALLY_HEALTHY' | 'NOT_HEALTHY'

export interface CopyState {
  copy: Database | undefined
  state: SynchronizationState
  health: Health
}

/** Commits wait for a secondary only when it and the primary are both SYNCHRONOUS_COMMIT. */
export function isSynchronousCommit(world: SqlWorld, group: AvailabilityGroup, replica: Replica): boolean {
  return (
    replica.availabilityMode === 'SYNCHRONOUS_COMMIT' &&
    world.primaryIn(group)?.availabilityMode === 'SYNCHRONOUS_COMMIT'
  )
}

function secondaryState(world: SqlWorld, group: AvailabilityGroup, replica: Replica, db: string): CopyState {
  const copy = world.copyOf(group, replica, db)
  if (!copy || copy.suspended || !replica.connected || !replica.joined)
    return { copy, state: 'NOT SYNCHRONIZING', health: 'NOT_HEALTHY' }
  if (!isSynchronousCommit(world, group, replica)) return { copy, state: 'SYNCHRONIZING', health: 'HEALTHY' }
  if (replica.neverSynchronize || world.now() < copy.syncSince + world.synchronizeAfterMs)
    return { copy, state: 'SYNCHRONIZING', health: 'PARTIALLY_HEALTHY' }
  return { copy, state: 'SYNCHRONIZED', health: 'HEALTHY' }
}

/** synchronization_state/health of one database on one replica (sys.dm_hadr_database_replica_states). */
export function copyState(
  world: SqlWorld,
  group: AvailabilityGroup,
  replica: Replica,
  db: string,
): CopyState {
  if (replica.role !== 'PRIMARY') return secondaryState(world, group, replica, db)
  const copy = world.copyOf(group, replica, db)
  // On the primary, SYNCHRONIZED means at least one synchronous secondary copy is synchronized
  const anySynchronized = group.replicas.some(
    (r) => r.role === 'SECONDARY' && secondaryState(world, group, r, db).state === 'SYNCHRONIZED',
  )
  return { copy, state: anySynchronized ? 'SYNCHRONIZED' : 'SYNCHRONIZING', health: 'HEALTHY' }
}

/** Replica-level health: every database healthy, or worse. */
export function replicaHealth(world: SqlWorld, group: AvailabilityGroup, replica: Replica): Health {
  if (!replica.joined || (!replica.connected && replica.role !== 'PRIMARY')) return 'NOT_HEALTHY'
  const healths = group.databases.map((db) => copyState(world, group, replica, db.name).health)
  if (healths.every((h) => h === 'HEALTHY')) return 'HEALTHY'
  if (healths.every((h) => h === 'NOT_HEALTHY')) return 'NOT_HEALTHY'
  return 'PARTIALLY_HEALTHY'
}

export function groupHealth(world: SqlWorld, group: AvailabilityGroup): Health {
  const healths = group.replicas.map((r) => replicaHealth(world, group, r))
  if (healths.every((h) => h === 'HEALTHY')) return 'HEALTHY'
  const primary = world.primaryIn(group)
  if (!primary || replicaHealth(world, group, primary) === 'NOT_HEALTHY') return 'NOT_HEALTHY'
  return 'PARTIALLY_HEALTHY'
}

/** Primaries (and databases outside any AG) write log; secondaries harden it as far as their state allows. */
export function advanceLog(world: SqlWorld, elapsedMs: number): void {
  const written = (world.logBytesPerSecond * elapsedMs) / 1000
  const now = world.now()
  const secondaryCopies = new Set<Database>()
  for (const group of world.groups)
    for (const replica of group.replicas)
      if (replica.role === 'SECONDARY')
        for (const db of group.databases) {
          const copy = world.copyOf(group, replica, db.name)
          if (copy) secondaryCopies.add(copy)
        }
  for (const instance of world.instances.filter((i) => !i.down))
    for (const db of instance.databases)
      if (db.state === 'ONLINE' && !secondaryCopies.has(db)) {
        db.logBytes += written
        db.lastCommitTime = now
      }
  for (const group of world.groups) {
    const primary = world.primaryIn(group)
    if (!primary) continue
    for (const replica of group.replicas) {
      if (replica.role === 'PRIMARY' || replica.neverSynchronize) continue
      for (const db of group.databases) {
        const source = world.copyOf(group, primary, db.name)
        const { copy, state } = secondaryState(world, group, replica, db.name)
        if (!source || !copy || state === 'NOT SYNCHRONIZING') continue
        const target = state === 'SYNCHRONIZED' ? source.logBytes : source.logBytes - TRAILING_BYTES
        if (target > copy.logBytes) copy.logBytes = target
        const behindMs = ((source.logBytes - copy.logBytes) / world.logBytesPerSecond) * 1000
        copy.lastCommitTime = Math.max(copy.lastCommitTime, now - behindMs)
      }
    }
  }
}
