import type { SqlConnection } from '../../clients/sql.js'
import { RefusedBeforeActingError, SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { type ClusterTypeFacts, clusterTypeOf } from './cluster-type.js'
import { DDL_TIMEOUT_MS, databaseStatesOf, instanceOf, sameName } from './common.js'
import { resumeSecondaries, suspendedCopies } from './failover-forced.js'
import { verifyPrimary } from './failover-verify.js'
import {
  AG_REQUIRED_SYNCHRONIZED,
  demoteToSecondary,
  forceFailover,
  resumeDatabase,
  setRequiredSynchronized,
} from './queries.js'

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
 * group"), once `toName` is synchronous and SYNCHRONIZED: REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 1, demote the
 * primary, check every database's hardened LSN on the target equals the old primary's, FORCE on the target, resume
 * data movement on the old primary and on the other secondaries named, then put the commit setting back. When the
 * LSNs differ the old primary takes its role back and nothing is lost.
 */
export async function switchReadScale(ctx: StepContext, s: ReadScaleSwitch) {
  const [setting] = await s.from.read<{ required: number }>(AG_REQUIRED_SYNCHRONIZED, { ag: s.ag })
  const required = setting?.required ?? 0
  if (required < 1) {
    ctx.progress({
      message:
        'making every commit wait for a synchronized secondary (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = 1)',
    })
    await s.from.change(
      'require a synchronized secondary',
      setRequiredSynchronized(s.ag, 1),
      {},
      DDL_TIMEOUT_MS,
    )
  }
  // Put back on whichever replica is primary once the switch is done or undone
  const restore = async (primary: SqlConnection) => {
    if (required < 1)
      await primary.change(
        'restore the commit setting',
        setRequiredSynchronized(s.ag, required),
        {},
        DDL_TIMEOUT_MS,
      )
  }
  ctx.progress({ message: `demoting ${s.fromName} to secondary (SET (ROLE = SECONDARY))` })
  await s.from.change('demote the primary', demoteToSecondary(s.ag), {}, DDL_TIMEOUT_MS)
  const gaps = await lsnGaps(s.from, s.to, s.ag)
  if (gaps.length > 0) {
    await s.from.change('take the primary role back', forceFailover(s.ag), {}, DDL_TIMEOUT_MS)
    await verifyPrimary(ctx, s.from, s.ag, s.fromName)
    await resumeLocal(ctx, s.to, s.ag, s.toName)
    await resumeSecondaries(ctx, s.resume, s.ag, s.toName)
    await restore(s.from)
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
  await restore(s.to)
  return { databases, resumed, suspended }
}
