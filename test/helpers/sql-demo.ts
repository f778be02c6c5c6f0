// The demo SQL world's availability group, as the SQL step tests drive it.
import type { Target } from '../../src/runbook/model.ts'
import type { SqlSandbox } from '../../src/sandbox/sql/index.ts'
export const DEMO_AG = 'AG-GIFTCARD'

/** sql.add-replica's params joining SQL-AWS-1 to the demo AG, with the listener IP for its subnet. */
export const DEMO_ADD_REPLICA = {
  ag: DEMO_AG,
  primary: 'sql-onprem',
  replica: 'sql-aws',
  endpoint_url: 'TCP://sql-aws-1.giftcard.local:5022',
  listener_ip: { listener: 'giftcard-lsn', ip: '10.20.1.50', mask: '255.255.255.0' },
}

/** The demo world's sql targets as the SQL step tests name them, each a direct connection to its instance. */
export function demoSqlTargets(sandbox: SqlSandbox, password: string): Record<string, Target> {
  const sqlTarget = (name: string): Target => ({
    sql: { ...sandbox.target(name, { password }), request_timeout: '5s', connect_timeout: '3s' },
  })
  return {
    'sql-onprem': sqlTarget('SQL-ONPREM-1'),
    'sql-onprem-2': sqlTarget('SQL-ONPREM-2'),
    'sql-aws': sqlTarget('SQL-AWS-1'),
  }
}
