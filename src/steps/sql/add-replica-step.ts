import type { SqlConnection } from '../../clients/sql.js'
import type { Change } from '../../engine/events.js'
import { SwitchyardError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import type { AddReplicaParams } from './add-replica.js'
import { assignListenerIp, type EniState, readEniState, unassignListenerIp } from './add-replica-eni.js'
import { removeListenerIpThroughCluster } from './cluster-listener-ip.js'
import { type ClusterTypeFacts, clusterTypeOf } from './cluster-type.js'
import {
  DDL_TIMEOUT_MS,
  hasError,
  hasJoined,
  instanceOf,
  JOIN_TIMEOUT_MS,
  pause,
  replicaNameOf,
  replicasOf,
  requirePrimary,
  retryTransient,
  sameName,
  unsupportedVersion,
} from './common.js'
import {
  addListenerIp,
  addReplica,
  CLUSTER,
  type ClusterRow,
  grantCreateAnyDatabase,
  joinGroup,
  LISTENER,
  type ListenerRow,
  type ReplicaOptions,
  removeReplica,
} from './queries.js'
import { databaseNamesOn, dropBroughtCopies, includesName } from './replica-copies.js'

/** What apply did, journaled before it acts: compensate removes exactly this. */
export interface AddReplicaUndo {
  replica: string
  addedReplica: boolean
  listenerIp?: { listener: string; ip: string }
  /** The listener IP this step made a secondary private IP of the SQL node's ENI. */
  eniIp?: { networkInterfaceId: string; ip: string }
  /** The databases on the replica before it joined: after removing it, rollback drops the copies that came since. */
  databasesBefore?: string[]
}

interface Situation {
  primary: SqlConnection
  replica: SqlConnection
  name: string
  exists: boolean
  joined: boolean
  listenerIpMissing: boolean
  /** Where the listener IP stands on the AWS node's ENI, when the runbook names it. */
  eni?: EniState
  clusterType: ClusterTypeFacts
}

async function situation(ctx: StepContext, p: AddReplicaParams): Promise<Situation> {
  const [primary, replica] = await Promise.all([ctx.sql(p.primary), ctx.sql(p.replica)])
  await requirePrimary(primary, p.ag)
  const name = await replicaNameOf(replica, p.replica_name)
  const clusterType = await refuseIncompatible(primary, replica, p)
  const replicas = await replicasOf(primary, p.ag)
  const exists = replicas.some((r) => sameName(r.replica_server_name, name))
  const joined = exists && (await hasJoined(primary, p.ag, name))
  let listenerIpMissing = false
  if (p.listener_ip) {
    const { listener } = p.listener_ip
    const ips = await primary.read<ListenerRow>(LISTENER, { ag: p.ag })
    if (!ips.some((r) => sameName(r.dns_name, listener)))
      throw new SwitchyardError(`${p.ag} has no listener named ${listener}`, {
        hint: `listeners of ${p.ag}: ${[...new Set(ips.map((r) => r.dns_name))].join(', ') || 'none'}`,
      })
    listenerIpMissing = !ips.some((r) => r.ip_address === p.listener_ip?.ip)
  }
  const eni = p.listener_ip?.aws ? await readEniState(ctx, p.listener_ip.aws, p.listener_ip.ip) : undefined
  return { primary, replica, name, exists, joined, listenerIpMissing, clusterType, ...(eni ? { eni } : {}) }
}

/**
 * A replica of an unsupported or another major version, of an AG switchyard cannot drive, or outside the AG's WSFC
 * cannot join (§0): say so before acting. Returns the AG's cluster type.
 */
async function refuseIncompatible(
  primary: SqlConnection,
  replica: SqlConnection,
  p: AddReplicaParams,
): Promise<ClusterTypeFacts> {
  const [pi, ri] = await Promise.all([instanceOf(primary), instanceOf(replica)])
  const unsupported = unsupportedVersion(pi) ?? unsupportedVersion(ri)
  if (unsupported)
    throw new SwitchyardError(unsupported, { hint: 'run sql.preflight for every check; nothing was changed' })
  if (pi.major !== ri.major)
    throw new SwitchyardError(
      `${p.replica} runs SQL Server major version ${ri.major}, the primary ${pi.major}: it cannot join ${p.ag}`,
      { hint: 'a replica of another major version needs a distributed availability group' },
    )
  const clusterType = await clusterTypeOf(primary, p.ag, pi.major)
  if (clusterType.refusal)
    throw new SwitchyardError(`${p.ag} has cluster type ${clusterType.type}: ${clusterType.refusal}`)
  if (!clusterType.needsWsfcNode) return clusterType
  const [[pc], [rc]] = await Promise.all([
    primary.read<ClusterRow>(CLUSTER),
    replica.read<ClusterRow>(CLUSTER),
  ])
  if (!pc || !rc || !sameName(pc.cluster_name, rc.cluster_name))
    throw new SwitchyardError(
      `${p.replica} is ${rc ? `in cluster ${rc.cluster_name}` : 'in no cluster'}, outside ${p.ag}'s cluster ${pc?.cluster_name ?? '(none)'}`,
      { hint: 'add the node to the cluster first, or use a distributed availability group' },
    )
  return clusterType
}

const options = (p: AddReplicaParams): ReplicaOptions => ({
  endpointUrl: p.endpoint_url,
  availabilityMode: p.availability_mode === 'synchronous' ? 'SYNCHRONOUS_COMMIT' : 'ASYNCHRONOUS_COMMIT',
  failoverMode: p.failover_mode === 'automatic' ? 'AUTOMATIC' : 'MANUAL',
  seedingMode: p.seeding_mode === 'manual' ? 'MANUAL' : 'AUTOMATIC',
  backupPriority: p.backup_priority ?? 0,
  secondaryConnections: (
    p.secondary_connections ?? 'no'
  ).toUpperCase() as ReplicaOptions['secondaryConnections'],
})

function changesFor(s: Situation, p: AddReplicaParams): Change[] {
  const o = options(p)
  const changes: Change[] = []
  if (s.eni && !s.eni.hasIp && p.listener_ip)
    changes.push({
      action: 'update',
      target: `ENI ${s.eni.networkInterfaceId}`,
      summary: `assign ${p.listener_ip.ip} as a secondary private IP of ${s.eni.networkInterfaceId}${s.eni.instanceId ? ` (${s.eni.instanceId})` : ''}, so the listener answers on AWS (rollback unassigns it)`,
    })
  if (s.listenerIpMissing && p.listener_ip) {
    const { listener, ip, mask } = p.listener_ip
    const add = `add IP ${ip}/${mask} for ${s.name}'s subnet`
    changes.push(
      p.cluster_node
        ? {
            action: 'update',
            target: `listener ${listener}`,
            summary: `${add} (rollback removes it through the cluster on ${p.cluster_node.instances[0]})`,
          }
        : {
            action: 'update',
            target: `listener ${listener}`,
            summary: `${add} (T-SQL cannot remove it again)`,
            manualUndo: true,
          },
    )
  }
  if (!s.exists)
    changes.push({
      action: 'create',
      target: `replica ${s.name} in ${p.ag}`,
      summary: `add replica ${s.name} (${o.endpointUrl}, ${o.availabilityMode}, failover ${o.failoverMode}, seeding ${o.seedingMode})`,
    })
  if (!s.joined) {
    changes.push({ action: 'update', target: s.name, summary: `join ${p.ag} on ${s.name}` })
    if (o.seedingMode === 'AUTOMATIC')
      changes.push({
        action: 'update',
        target: s.name,
        summary: `grant ${p.ag} CREATE ANY DATABASE on ${s.name} (automatic seeding)`,
      })
  }
  return changes
}

/** The new replica's own view must show it CONNECTED to the primary (35250 right after a join is normal). */
async function waitConnected(ctx: StepContext, s: Situation, p: AddReplicaParams) {
  const deadline = performance.now() + 60_000
  for (;;) {
    const row = (await replicasOf(s.primary, p.ag)).find((r) => sameName(r.replica_server_name, s.name))
    if (row?.connected_state_desc === 'CONNECTED') return
    if (performance.now() > deadline)
      throw new SwitchyardError(
        `${s.name} joined ${p.ag} but is ${row?.connected_state_desc ?? 'not listed'} after 60s`,
        { hint: 'check the endpoint port between the sites, CONNECT permission on the endpoints, and DNS' },
      )
    ctx.progress({ message: `waiting for ${s.name} to connect to the primary` })
    await pause(ctx, 1000, () => `${s.name} to connect`)
  }
}

/** The removed replica's copies stay RESTORING (§7): those that were not there before the join are dropped. */
async function dropCopiesSinceJoin(ctx: StepContext, p: AddReplicaParams, u: AddReplicaUndo) {
  const before = u.databasesBefore
  if (!before) {
    ctx.progress({
      message: `the copies left RESTORING on ${u.replica} stay: this run's journal predates recording what was there before`,
    })
    return
  }
  const replica = await ctx.sql(p.replica)
  await dropBroughtCopies(ctx, replica, u.replica, (db) => !includesName(before, db))
}

export const addReplicaStep: StepImplementation<AddReplicaParams> = {
  async plan(ctx, p) {
    const s = await situation(ctx, p)
    const changes = changesFor(s, p)
    return changes.length
      ? { changes }
      : { changes, outputs: { replica: s.name, endpoint_url: p.endpoint_url } }
  },

  async apply(ctx, p) {
    const s = await situation(ctx, p)
    const undo: AddReplicaUndo = {
      replica: s.name,
      addedReplica: !s.exists,
      ...(s.exists ? {} : { databasesBefore: await databaseNamesOn(s.replica) }),
      ...(s.listenerIpMissing && p.listener_ip
        ? { listenerIp: { listener: p.listener_ip.listener, ip: p.listener_ip.ip } }
        : {}),
      ...(s.eni && !s.eni.hasIp && p.listener_ip
        ? { eniIp: { networkInterfaceId: s.eni.networkInterfaceId, ip: p.listener_ip.ip } }
        : {}),
    }
    await ctx.recordUndo(undo)
    if (undo.eniIp) await assignListenerIp(ctx, undo.eniIp.networkInterfaceId, undo.eniIp.ip)
    if (s.listenerIpMissing && p.listener_ip) {
      const { listener, ip, mask } = p.listener_ip
      ctx.progress({ message: `adding listener IP ${ip} to ${listener}` })
      await s.primary.change('add a listener IP', addListenerIp(p.ag, listener, ip, mask), {}, DDL_TIMEOUT_MS)
    }
    if (!s.exists) {
      ctx.progress({ message: `adding replica ${s.name} to ${p.ag}` })
      await retryTransient(ctx, `add replica ${s.name}`, () =>
        s.primary.change('add a replica', addReplica(p.ag, s.name, options(p)), {}, DDL_TIMEOUT_MS),
      )
    }
    if (!s.joined) {
      ctx.progress({ message: `joining ${s.name} to ${p.ag}` })
      try {
        await retryTransient(ctx, `join ${s.name}`, () =>
          s.replica.change(
            'join the availability group',
            joinGroup(p.ag, s.clusterType.joinOption),
            {},
            JOIN_TIMEOUT_MS,
          ),
        )
      } catch (error) {
        if (hasError(error, 19456))
          throw new SwitchyardError(
            `${s.name} could not join ${p.ag}: no listener IP can be hosted on its subnet (19456)`,
            {
              cause: error,
              hint: "name the listener IP for the replica's subnet in listener_ip: { listener, ip, mask }",
            },
          )
        throw error
      }
      if (options(p).seedingMode === 'AUTOMATIC')
        await s.replica.change('grant CREATE ANY DATABASE', grantCreateAnyDatabase(p.ag))
    }
    await waitConnected(ctx, s, p)
    return { replica: s.name, endpoint_url: p.endpoint_url }
  },

  describeUndo(p, undo) {
    return (undo as AddReplicaUndo[])
      .slice()
      .reverse()
      .flatMap((u) => [
        ...(u.addedReplica
          ? [`remove replica ${u.replica} from ${p.ag} and drop the copies it received since it joined`]
          : []),
        ...(u.listenerIp
          ? [
              p.cluster_node
                ? `remove listener IP ${u.listenerIp.ip} from ${u.listenerIp.listener} through the cluster`
                : `leave listener IP ${u.listenerIp.ip} on ${u.listenerIp.listener} for an operator (no cluster_node)`,
            ]
          : []),
        ...(u.eniIp ? [`unassign ${u.eniIp.ip} from ${u.eniIp.networkInterfaceId}`] : []),
      ])
  },

  async compensate(ctx, p, undo) {
    const primary = await ctx.sql(p.primary)
    await requirePrimary(primary, p.ag)
    for (const u of (undo as AddReplicaUndo[]).slice().reverse()) {
      if (u.addedReplica) {
        const replicas = await replicasOf(primary, p.ag)
        if (replicas.some((r) => sameName(r.replica_server_name, u.replica))) {
          ctx.progress({ message: `removing replica ${u.replica} from ${p.ag}` })
          await retryTransient(ctx, `remove replica ${u.replica}`, () =>
            primary.change('remove a replica', removeReplica(p.ag, u.replica), {}, DDL_TIMEOUT_MS),
          )
        }
        await dropCopiesSinceJoin(ctx, p, u)
      }
      if (u.listenerIp && p.cluster_node) {
        const { listener, ip } = u.listenerIp
        const outcome = await removeListenerIpThroughCluster(ctx, p.cluster_node.instances, {
          ag: p.ag,
          listener,
          ip,
        })
        ctx.progress({
          message:
            outcome === 'removed'
              ? `removed listener IP ${ip} from ${listener} through the cluster`
              : `listener IP ${ip} was already gone from ${listener}`,
        })
      } else if (u.listenerIp)
        ctx.progress({
          message: `listener IP ${u.listenerIp.ip} stays on ${u.listenerIp.listener}: T-SQL cannot remove it; use Failover Cluster Manager or Remove-ClusterResource (or give the step cluster_node)`,
        })
      if (u.eniIp) await unassignListenerIp(ctx, u.eniIp.networkInterfaceId, u.eniIp.ip)
    }
  },
}
