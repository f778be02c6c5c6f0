// The databases a replica holds, and how rollback takes away the copies a step brought there.
import type { SqlConnection } from '../../clients/sql.js'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { DDL_TIMEOUT_MS, sameName } from './common.js'
import { DATABASES, type DatabaseStateRow, dropDatabase, leaveGroup } from './queries.js'

/** The user databases on an instance, by name: journaled before a step acts, so rollback knows what it brought. */
export async function databaseNamesOn(conn: SqlConnection): Promise<string[]> {
  return (await conn.read<DatabaseStateRow>(DATABASES)).map((r) => r.name).sort()
}

/**
 * Drops the copies on a replica that `brought` says a step put there. After REMOVE REPLICA or REMOVE
 * DATABASE a secondary's copies stay RESTORING and keep their disk; a DBA drops them, and so does
 * rollback. A copy still joined leaves the AG first (SET HADR OFF). One that is ONLINE outside the AG
 * was recovered by someone and may be in use: it is left, and rollback stops to say so.
 */
export async function dropBroughtCopies(
  ctx: StepContext,
  replica: SqlConnection,
  name: string,
  brought: (db: string) => boolean,
): Promise<void> {
  const recovered: string[] = []
  for (const row of await replica.read<DatabaseStateRow>(DATABASES)) {
    if (!brought(row.name)) continue
    if (row.group_database_id === null && row.state_desc === 'ONLINE') {
      recovered.push(row.name)
      continue
    }
    if (row.group_database_id !== null)
      await replica.change(
        'take the copy out of the availability group',
        leaveGroup(row.name),
        {},
        DDL_TIMEOUT_MS,
      )
    ctx.progress({ message: `dropping ${row.name} on ${name} (${row.state_desc} copy this run brought)` })
    await replica.change('drop the copy', dropDatabase(row.name), {}, DDL_TIMEOUT_MS)
  }
  if (recovered.length > 0)
    throw new SwitchyardError(
      `${recovered.join(', ')} on ${name} ${recovered.length === 1 ? 'is' : 'are'} ONLINE outside the availability group: someone recovered ${recovered.length === 1 ? 'that copy' : 'those copies'}, so rollback leaves ${recovered.length === 1 ? 'it' : 'them'}`,
      {
        hint: `if nobody uses ${recovered.length === 1 ? 'it' : 'them'}, DROP DATABASE on ${name} by hand, then run the rollback again`,
      },
    )
}

export const includesName = (names: readonly string[], db: string) => names.some((n) => sameName(n, db))
