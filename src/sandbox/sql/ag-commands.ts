import { hasQuorum } from './cluster.js'
import { endpointsConnect } from './endpoint-handshake.js'
import {
  alreadyInGroup,
  alreadyJoined,
  alreadyPrimary,
  automaticNeedsSynchronous,
  cannotBecomePrimary,
  cannotFind,
  cannotRemovePrimary,
  clusterManagerOwns,
  clusterWithoutQuorum,
  databaseMissing,
  databaseRestoring,
  hadrDisabled,
  insufficientLog,
  joinFailed,
  joinOnPrimary,
  listenerIpExists,
  NO_LISTENER_IP_ON_SUBNET,
  noFullBackup,
  notAddedOnPrimary,
  notFullRecovery,
  notInGroup,
  notJoined,
  notModelled,
  notPrimary,
  notRestoring,
  onlyForceFailover,
  PRIMARY_CONNECTION_INACTIVE,
  replicaExists,
  replicaNotAdded,
} from './errors.js'
import type {
  AvailabilityGroup,
  AvailabilityMode,
  Database,
  FailoverMode,
  Instance,
  Replica,
  SecondaryConnections,
  SeedingMode,
} from './model.js'
import { inSubnet, sameName } from './model.js'
import { abandonSeeds, startSeeds } from './seeding.js'
import { copyState } from './sync.js'
import { newGuid, type SqlWorld } from './world.js'

/** ALTER AVAILABILITY GROUP semantics, each run on the instance the statement reached. */

export interface NewReplica {
  endpointUrl: string
  availabilityMode: AvailabilityMode
  failoverMode: FailoverMode
  seedingMode: SeedingMode
  backupPriority: number
  secondaryConnections: SecondaryConnections
}

const major = (instance: Instance) => Number(instance.productVersion.split('.')[0])

/** The AG as this instance hosts it, or 15151 (35221 when Always On is off). */
function hostedGroup(
  world: SqlWorld,
  instance: Instance,
  ag: string,
): { group: AvailabilityGroup; local: Replica } {
  if (!instance.hadrEnabled) throw hadrDisabled()
  const group = world.groupOn(instance, ag)
  const local = group && world.replicaOn(group, instance)
  if (!group || !local) throw cannotFind('alter', 'availability group', ag)
  return { group, local }
}

/** Forms only the primary may run; elsewhere SQL Server answers 41190. */
function onPrimary(world: SqlWorld, instance: Instance, ag: string, command: string): AvailabilityGroup {
  const { group, local } = hostedGroup(world, instance, ag)
  if (local.role !== 'PRIMARY') throw notPrimary(group.name, command)
  return group
}

function findReplica(group: AvailabilityGroup, server: string): Replica {
  const replica = group.replicas.find((r) => sameName(r.server, server))
  if (!replica) throw cannotFind('find', 'availability replica', server)
  return replica
}

export function addReplica(
  world: SqlWorld,
  instance: Instance,
  ag: string,
  server: string,
  o: NewReplica,
): void {
  const group = onPrimary(world, instance, ag, 'ADD REPLICA')
  if (group.replicas.some((r) => sameName(r.server, server))) throw replicaExists(group.name, server)
  if (o.failoverMode === 'AUTOMATIC' && o.availabilityMode !== 'SYNCHRONOUS_COMMIT')
    throw automaticNeedsSynchronous(group.name, server)
  group.replicas.push({
    server,
    id: newGuid(),
    ...o,
    role: 'SECONDARY',
    joined: false,
    connected: false,
    createAnyDatabaseGranted: false,
    neverSynchronize: false,
  })
}

/** A copy leaving its AG: unjoined, not suspended, and (on a secondary) RESTORING until someone drops or recovers it. */
function detachCopy(db: Database, state: Database['state']): void {
  db.ag = null
  db.groupDatabaseId = null
  db.state = state
  db.suspended = false
  db.suspendReason = null
}

/** The removed replica's copies fall back to RESTORING on its instance; seeds toward it fail. */
export function removeReplica(world: SqlWorld, instance: Instance, ag: string, server: string): void {
  const group = onPrimary(world, instance, ag, 'REMOVE REPLICA')
  const replica = findReplica(group, server)
  if (replica.role === 'PRIMARY') throw cannotRemovePrimary(group.name, replica.server)
  const target = world.findInstance(replica.server)
  for (const db of target?.databases ?? [])
    if (db.ag && sameName(db.ag, group.name)) detachCopy(db, 'RESTORING')
  abandonSeeds(world, (s) => sameName(s.ag, group.name) && sameName(s.target, replica.server), 1)
  group.replicas.splice(group.replicas.indexOf(replica), 1)
}

export function addListenerIp(
  world: SqlWorld,
  instance: Instance,
  ag: string,
  listener: string,
  ip: string,
  mask: string,
): void {
  const group = onPrimary(world, instance, ag, 'MODIFY LISTENER')
  if (!group.listener || !sameName(group.listener.dnsName, listener))
    throw cannotFind('find', 'availability group listener', listener)
  if (group.listener.ips.some((i) => i.ip === ip)) throw listenerIpExists(listener, ip)
  group.listener.ips.push({ ip, mask })
}

/** A listener IP is ONLINE when it sits in the primary's subnet (the cluster brings that one up). */
export function listenerIpOnline(world: SqlWorld, group: AvailabilityGroup, ip: string): boolean {
  return inSubnet(ip, world.instance(world.primaryOf(group).server).subnet)
}

/** JOIN on the new replica: it must be added on the primary, in the same WSFC, reachable, and able to host the listener. */
export function joinGroup(world: SqlWorld, instance: Instance, ag: string, clusterType = 'WSFC'): void {
  if (!instance.hadrEnabled) throw hadrDisabled()
  const group = world.group(ag)
  const inWsfc = (g: AvailabilityGroup) => instance.cluster && sameName(instance.cluster, g.cluster)
  if (!group || (group.clusterType === 'WSFC' && !inWsfc(group)))
    throw cannotFind('find', 'availability group', ag)
  if (clusterType !== group.clusterType)
    throw notModelled(
      `JOIN with CLUSTER_TYPE = ${clusterType} to the ${group.clusterType} availability group '${group.name}'`,
    )
  const replica = world.replicaOn(group, instance)
  if (!replica) throw replicaNotAdded(group.name, instance.name)
  if (replica.joined) return
  const primaryInstance = world.instance(world.primaryOf(group).server)
  // A replica of another major version cannot exchange log with the primary: the join cannot reach it
  if (
    major(primaryInstance) !== major(instance) ||
    !instance.endpoint ||
    instance.endpoint.state !== 'STARTED' ||
    !primaryInstance.endpoint ||
    !endpointsConnect(primaryInstance.endpoint, instance.endpoint)
  )
    throw joinFailed(group.name, PRIMARY_CONNECTION_INACTIVE)
  const ips = group.listener?.ips ?? []
  if (ips.length > 0 && !ips.some((i) => inSubnet(i.ip, instance.subnet)))
    throw joinFailed(group.name, NO_LISTENER_IP_ON_SUBNET)
  replica.joined = true
  replica.connected = true
  startSeeds(world, group, { retryFailed: false })
}

export function grantCreateAnyDatabase(world: SqlWorld, instance: Instance, ag: string): void {
  const { group, local } = hostedGroup(world, instance, ag)
  local.createAnyDatabaseGranted = true
  startSeeds(world, group, { retryFailed: true })
}

export function modifyReplica(
  world: SqlWorld,
  instance: Instance,
  ag: string,
  server: string,
  setting: string,
  value: string,
): void {
  const group = onPrimary(world, instance, ag, 'MODIFY REPLICA')
  const replica = findReplica(group, server)
  const automaticAsync =
    setting === 'AVAILABILITY_MODE'
      ? value === 'ASYNCHRONOUS_COMMIT' && replica.failoverMode === 'AUTOMATIC'
      : setting === 'FAILOVER_MODE' &&
        value === 'AUTOMATIC' &&
        replica.availabilityMode !== 'SYNCHRONOUS_COMMIT'
  if (automaticAsync) throw automaticNeedsSynchronous(group.name, replica.server)
  if (setting === 'AVAILABILITY_MODE') {
    const before = replica.availabilityMode
    replica.availabilityMode = value as AvailabilityMode
    if (before !== value) {
      // The primary's own mode changes every secondary's effective mode
      const affected = replica.role === 'PRIMARY' ? group.replicas : [replica]
      for (const r of affected) world.restartCatchUp(group, r)
    }
  } else if (setting === 'FAILOVER_MODE') replica.failoverMode = value as FailoverMode
  else {
    replica.seedingMode = value as SeedingMode
    if (value === 'AUTOMATIC') startSeeds(world, group, { retryFailed: true })
  }
}

/** ADD DATABASE on the primary: FULL recovery with a live log chain; seeds start toward AUTOMATIC replicas. */
export function addDatabase(world: SqlWorld, instance: Instance, ag: string, name: string): void {
  const group = onPrimary(world, instance, ag, 'ADD DATABASE')
  const db = world.database(instance, name)
  if (!db) throw databaseMissing(name)
  if (db.ag) throw alreadyInGroup(db.name, db.ag)
  if (db.state === 'RESTORING') throw databaseRestoring(db.name)
  if (db.recoveryModel !== 'FULL') throw notFullRecovery(db.name)
  if (db.lastLogBackupBytes === null) throw noFullBackup(db.name, group.name)
  const groupDatabaseId = newGuid()
  group.databases.push({ name: db.name, groupDatabaseId })
  db.ag = group.name
  db.groupDatabaseId = groupDatabaseId
  startSeeds(world, group, { retryFailed: false })
}

/** SET HADR AVAILABILITY GROUP on a secondary: joins a RESTORING copy whose log reaches the primary's log chain. */
export function joinDatabase(world: SqlWorld, instance: Instance, name: string, ag: string): void {
  const { group, local } = hostedGroup(world, instance, ag)
  const db = world.database(instance, name)
  if (!db) throw databaseMissing(name)
  if (local.role === 'PRIMARY') throw joinOnPrimary(db.name, group.name)
  const entry = group.databases.find((d) => sameName(d.name, db.name))
  if (db.ag && sameName(db.ag, group.name)) throw alreadyJoined(db.name, group.name)
  if (!entry) throw notAddedOnPrimary(db.name, group.name)
  if (db.state !== 'RESTORING') throw notRestoring(db.name)
  const source = world.copyOf(group, world.primaryOf(group), db.name)
  if (!source || source.guid !== db.guid || db.logBytes < (source.lastLogBackupBytes ?? 0))
    throw insufficientLog(db.name)
  db.ag = group.name
  db.groupDatabaseId = entry.groupDatabaseId
  db.state = 'ONLINE'
  db.syncSince = world.now()
}

/** REMOVE DATABASE on the primary: it leaves the AG; every secondary copy stays behind, RESTORING and unjoined. */
export function removeDatabase(world: SqlWorld, instance: Instance, ag: string, name: string): void {
  const group = onPrimary(world, instance, ag, 'REMOVE DATABASE')
  const entry = group.databases.find((d) => sameName(d.name, name))
  if (!entry) throw notInGroup(name, group.name)
  for (const replica of group.replicas) {
    const copy = world.copyOf(group, replica, entry.name)
    if (copy) detachCopy(copy, replica.role === 'PRIMARY' ? copy.state : 'RESTORING')
  }
  abandonSeeds(world, (s) => sameName(s.ag, group.name) && sameName(s.database, entry.name), 1)
  group.databases.splice(group.databases.indexOf(entry), 1)
}

/** SET HADR OFF on a secondary: only the local copy leaves the AG, RESTORING (35240 on the primary). */
export function leaveGroup(world: SqlWorld, instance: Instance, name: string): void {
  if (!instance.hadrEnabled) throw hadrDisabled()
  const db = world.database(instance, name)
  if (!db) throw databaseMissing(name)
  const group = db.ag ? world.group(db.ag) : undefined
  if (!group) throw notJoined(db.name)
  if (world.replicaOn(group, instance)?.role === 'PRIMARY') throw joinOnPrimary(db.name, group.name)
  detachCopy(db, 'RESTORING')
}

/** SET HADR RESUME on the instance holding the suspended copy. */
export function resumeDatabase(world: SqlWorld, instance: Instance, name: string): void {
  if (!instance.hadrEnabled) throw hadrDisabled()
  const db = world.database(instance, name)
  if (!db) throw databaseMissing(name)
  const group = db.ag ? world.group(db.ag) : undefined
  if (!group) throw notJoined(db.name)
  if (!db.suspended) return
  const primary = world.copyOf(group, world.primaryOf(group), db.name)
  // The old primary discards what the new primary never received
  if (primary && db.logBytes > primary.logBytes) db.logBytes = primary.logBytes
  db.suspended = false
  db.suspendReason = null
  db.syncSince = world.now()
}

function swapRoles(world: SqlWorld, group: AvailabilityGroup, target: Replica): void {
  // None when a CLUSTER_TYPE = NONE primary was demoted first (SET (ROLE = SECONDARY))
  const old = world.primaryIn(group)
  if (old) old.role = 'SECONDARY'
  target.role = 'PRIMARY'
  target.connected = true
  if (old) abandonSeeds(world, (s) => sameName(s.ag, group.name) && sameName(s.source, old.server), 5)
}

/** SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = n), on the primary: recorded and shown, commits do not block on it. */
export function requireSynchronizedSecondaries(
  world: SqlWorld,
  instance: Instance,
  ag: string,
  count: number,
): void {
  const group = onPrimary(world, instance, ag, 'ALTER AVAILABILITY GROUP')
  group.requiredSynchronizedSecondaries = count
}

/** Roles of an EXTERNAL AG change only through its cluster manager (47104). */
function refuseExternal(group: AvailabilityGroup): void {
  if (group.clusterType === 'EXTERNAL') throw clusterManagerOwns(group.name)
}

/**
 * SET (ROLE = SECONDARY) on the primary of a CLUSTER_TYPE = NONE AG: it stops being primary (read-only) and the AG
 * has none until FORCE_FAILOVER_ALLOW_DATA_LOSS on a secondary. Only read-scale AGs take it; elsewhere the cluster
 * decides roles.
 */
export function demotePrimary(world: SqlWorld, instance: Instance, ag: string): void {
  const { group, local } = hostedGroup(world, instance, ag)
  refuseExternal(group)
  if (group.clusterType !== 'NONE') throw notModelled('SET (ROLE = SECONDARY) on a WSFC availability group')
  if (local.role !== 'PRIMARY') return
  local.role = 'SECONDARY'
}

/** Planned FAILOVER, run on the target: synchronous and every database SYNCHRONIZED, else 41142. */
export function failover(world: SqlWorld, instance: Instance, ag: string): void {
  const { group, local } = hostedGroup(world, instance, ag)
  refuseExternal(group)
  if (group.clusterType === 'NONE') throw onlyForceFailover(group.name)
  if (local.role === 'PRIMARY') throw alreadyPrimary(group.name)
  const ready = group.databases.every(
    (db) => copyState(world, group, local, db.name).state === 'SYNCHRONIZED',
  )
  if (!ready || local.availabilityMode !== 'SYNCHRONOUS_COMMIT') throw cannotBecomePrimary(group.name)
  swapRoles(world, group, local)
  for (const replica of group.replicas) if (replica !== local) world.restartCatchUp(group, replica)
}

/**
 * FORCE_FAILOVER_ALLOW_DATA_LOSS: needs cluster quorum (normal or forced); the target takes over with the log it has,
 * the secondaries that are up connect to it, and every other copy is suspended.
 */
export function forceFailover(world: SqlWorld, instance: Instance, ag: string): void {
  const { group, local } = hostedGroup(world, instance, ag)
  refuseExternal(group)
  if (local.role === 'PRIMARY') throw alreadyPrimary(group.name)
  // Outside a WSFC there is no cluster quorum to check
  if (group.clusterType === 'WSFC' && !hasQuorum(world, group.cluster))
    throw clusterWithoutQuorum(group.name, group.cluster)
  swapRoles(world, group, local)
  for (const replica of group.replicas) replica.connected = !world.instance(replica.server).down
  for (const db of group.databases) {
    const mine = world.copyOf(group, local, db.name)
    if (mine) {
      mine.suspended = false
      mine.suspendReason = null
    }
  }
  for (const replica of group.replicas) {
    if (replica === local) continue
    for (const db of group.databases) {
      const copy = world.copyOf(group, replica, db.name)
      if (!copy) continue
      copy.suspended = true
      copy.suspendReason = 'SUSPEND_FROM_PARTNER'
    }
  }
}
