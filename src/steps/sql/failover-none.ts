import type { SqlConnection } from '../../clients/sql.js'
import { RefusedBeforeActingError, SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { type ClusterTypeFacts, clusterTypeOf } from './cluster-type.js'
import { DDL_TIMEOUT_MS, databaseStatesOf, instanceOf, sameName } from './common.js'
import { resumeSecondaries, suspendedCopies } from './failover-forced.js'
import { verifyPrimary } from './failover-verify.js'
import { demoteToSecondary, forceFailover, resumeDatabase } from './queries.js'

/** The AG's cluster type as the target reads it; an EXTERNAL (Pacemaker) AG is refused before anything changes. */
export async function failoverClusterType(
  conn: SqlConnection,
  ag: string,
  node: string,
): Promise<ClusterTypeFacts> {
  const facts = await clusterTypeOf(conn, ag, (await instanceOf(conn)).major)
  if (facts.type === 'EXTERNAL')
    throw new RefusedBeforeActingError(
      `${ag} has cluster type EXTERNAL: ${facts.refusal}; nothing was changed`,
      {
        hint: `fail over with the cluster manager: pcs resource move <AG resource> ${node} --master, wait for it to be promoted, then pcs resource clear <AG resource>`,
      },
    )
  return facts
}

/** Each database whose hardened log on `to` differs from the demoted primary's: a FORCE there would lose that log. */
async function lsnGaps(from: SqlConnection, to: SqlConnection, ag: string): Promise<string[]> {
  const [theirs, mine] = await Promise.all([databaseStatesOf(from, ag), databaseStatesOf(to, ag)])
  return theirs
    .filter((s) => s.is_local)
    .flatMap((primary) => {
      const copy = mine.find((m) => m.is_local && sameName(m.database_name, primary.database_name))
      const at = copy?.last_hardened_lsn ?? null
      return at !== null && at === primary.last_hardened_lsn
        ? []
        : [`${primary.database_name}: LSN ${at ?? 'unknown'}, old primary at ${primary.last_hardened_lsn}`]
    })
}

/** SET HADR RESUME on `conn` for each of its copies a FORCE suspended. */
async function resumeLocal(ctx: StepContext, conn: SqlConnection, ag: string, replica: string) {
  const suspended = (await databaseStatesOf(conn, ag)).filter((s) => s.is_local && s.is_suspended)
  for (const s of suspended) {
    ctx.progress({ message: `resuming data movement of ${s.database_name} on ${replica}` })
    await conn.change('resume data movement', resumeDatabase(s.database_name), {}, DDL_TIMEOUT_MS)
  }
}

export interface ReadScaleSwitch {
  ag: string
  from: SqlConnection
  fromName: string
  to: SqlConnection
  toName: string
  /** sql targets of the other secondaries, whose copies the FORCE suspended too: resumed, else listed. */
  resume: readonly string[]
}

/**
 * A lossless role switch of a CLUSTER_TYPE = NONE AG ("Fail over the primary replica on a read-scale availability
 * group"), once `toName` is synchronous and SYNCHRONIZED: demote the primary, check every database's hardened LSN on
 * the target equals the old primary's, FORCE on the target, then resume data movement on the old primary and on the
 * other secondaries named. When the LSNs differ the old primary takes its role back and nothing is lost.
 */
export async function switchReadScale(ctx: StepContext, s: ReadScaleSwitch) {
  ctx.progress({ message: `demoting ${s.fromName} to secondary (SET (ROLE = SECONDARY))` })
  await s.from.change('demote the primary', demoteToSecondary(s.ag), {}, DDL_TIMEOUT_MS)
  const gaps = await lsnGaps(s.from, s.to, s.ag)
  if (gaps.length > 0) {
    await s.from.change('take the primary role back', forceFailover(s.ag), {}, DDL_TIMEOUT_MS)
    await verifyPrimary(ctx, s.from, s.ag, s.fromName)
    await resumeLocal(ctx, s.to, s.ag, s.toName)
    throw new SwitchyardError(
      `${s.toName} had not hardened all of ${s.fromName}'s log after the demotion (${gaps.join('; ')}): ${s.fromName} took the primary role back and nothing was lost`,
      { hint: `find why ${s.toName} lags, then run again` },
    )
  }
  ctx.progress({
    message: `promoting ${s.toName} (FORCE_FAILOVER_ALLOW_DATA_LOSS; every LSN matches, nothing lost)`,
  })
  await s.to.change('promote the target', forceFailover(s.ag), {}, DDL_TIMEOUT_MS)
  const databases = await verifyPrimary(ctx, s.to, s.ag, s.toName)
  await resumeLocal(ctx, s.from, s.ag, s.fromName)
  const resumed = await resumeSecondaries(ctx, s.resume, s.ag, s.fromName)
  const suspended = await suspendedCopies(s.to, s.ag)
  if (suspended.length > 0)
    ctx.warn(
      `suspended by the switch (nothing was lost: resume each on its replica, ALTER DATABASE [db] SET HADR RESUME, or name its target in resume): ${suspended.map((c) => `${c.database} on ${c.replica}`).join(', ')}`,
    )
  return { databases, resumed, suspended }
}
