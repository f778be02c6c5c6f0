import type { SqlConnection } from '../../clients/sql.js'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { databaseStatesOf, groupOn, pause, sameName } from './common.js'

/** After a failover: the replica reports itself PRIMARY, is the AG's primary, and every database is ONLINE. */
export async function verifyPrimary(ctx: StepContext, conn: SqlConnection, ag: string, name: string) {
  const deadline = performance.now() + 120_000
  for (;;) {
    const group = await groupOn(conn, ag)
    const states = group?.local_role === 'PRIMARY' ? await databaseStatesOf(conn, ag) : []
    const local = states.filter((s) => s.is_local)
    const offline = local.filter((s) => s.database_state_desc !== 'ONLINE')
    if (
      group?.local_role === 'PRIMARY' &&
      sameName(group.primary_replica, name) &&
      local.length > 0 &&
      offline.length === 0
    )
      return local.map((s) => s.database_name)
    if (performance.now() >= deadline)
      throw new SwitchyardError(
        `${name} did not come up as primary of ${ag}: role ${group?.local_role ?? 'unknown'}, ${offline.map((s) => `${s.database_name} ${s.database_state_desc}`).join(', ') || 'no databases listed'}`,
        { hint: 'check the SQL Server error log on the new primary' },
      )
    ctx.progress({ message: `waiting for ${name} to finish recovery as primary` })
    await pause(ctx, 1000, () => `${name} to become primary`)
  }
}
