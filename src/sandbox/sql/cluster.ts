import type { Instance } from './model.js'
import { sameName } from './model.js'
import type { SqlWorld } from './world.js'

/** sys.dm_hadr_cluster's quorum_state_desc: a node majority, one forced by an operator, or none. */
export type QuorumState = 'NORMAL_QUORUM' | 'FORCED_QUORUM' | 'UNKNOWN_QUORUM_STATE'

/** The nodes of a WSFC, one vote each (node majority, no witness), as the sandbox models every cluster. */
export const clusterNodes = (world: SqlWorld, cluster: string): Instance[] =>
  world.instances.filter((i) => i.cluster !== null && sameName(i.cluster, cluster))

/** Quorum as the nodes that are up see it: more than half the votes, or forced on a node that is up. */
export function quorumState(world: SqlWorld, cluster: string): QuorumState {
  const nodes = clusterNodes(world, cluster)
  const up = nodes.filter((n) => !n.down).length
  if (up * 2 > nodes.length) return 'NORMAL_QUORUM'
  if (up > 0 && world.forcedQuorum.has(cluster.toLowerCase())) return 'FORCED_QUORUM'
  return 'UNKNOWN_QUORUM_STATE'
}

export const hasQuorum = (world: SqlWorld, cluster: string) =>
  quorumState(world, cluster) !== 'UNKNOWN_QUORUM_STATE'
