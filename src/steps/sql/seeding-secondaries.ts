// Manual seeding's other secondaries: ADD DATABASE adds a database for every replica, so each must get a copy too.
import type { SqlConnection } from '../../clients/sql.js'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { replicaNameOf, replicasOf, sameName } from './common.js'
import type { SeedReplicaParams } from './seed-replica.js'
import type { Seeding } from './seeding-survey.js'

export interface OtherSecondary {
  name: string
  /** Its sql target in the runbook (rollback connects to it again). */
  target: string
  conn: SqlConnection
  seedingMode: string
}

/**
 * The AG's secondaries besides the step's replica, each through its target in `secondaries`. A secondary without one
 * would be left holding no copy after ADD DATABASE: it could no longer take a failover, so the step refuses before
 * acting rather than leave it unprotected.
 */
export async function otherSecondaries(
  ctx: StepContext,
  s: Pick<Seeding, 'primary' | 'name'>,
  p: SeedReplicaParams,
): Promise<OtherSecondary[]> {
  const given = await Promise.all(
    (p.secondaries ?? []).map(async (target) => {
      const conn = await ctx.sql(target)
      return { target, conn, name: await replicaNameOf(conn, undefined) }
    }),
  )
  const others = (await replicasOf(s.primary, p.ag)).filter(
    (r) => r.role_desc !== 'PRIMARY' && !sameName(r.replica_server_name, s.name),
  )
  const uncovered = others.filter((r) => !given.some((g) => sameName(g.name, r.replica_server_name)))
  if (uncovered.length > 0) {
    const names = uncovered.map((r) => r.replica_server_name).join(', ')
    throw new SwitchyardError(
      `manual seeding adds ${p.databases.join(', ')} to ${p.ag} for every replica, but has no connection to ${names} to restore ${p.databases.length === 1 ? 'it' : 'them'} there: ${names} would hold no copy and could no longer take a failover`,
      {
        hint: `list the sql target of ${names} in the step's secondaries: it is restored and joined there too`,
      },
    )
  }
  return others.flatMap((r) => {
    const g = given.find((x) => sameName(x.name, r.replica_server_name))
    return g
      ? [{ name: r.replica_server_name, target: g.target, conn: g.conn, seedingMode: r.seeding_mode_desc }]
      : []
  })
}
