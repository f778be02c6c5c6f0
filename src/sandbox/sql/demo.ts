import type { Clock } from '../aws/clock.js'
import { SQL_SERVER_BUILDS, type SqlServerRelease, SqlWorld } from './world.js'

const MB = 1024 * 1024
const GB = 1024 * MB

/**
 * The gift-card platform: WSFC GIFTCARD-WSFC with SQL-ONPREM-1 (primary) and SQL-ONPREM-2 (synchronous secondary) in
 * 10.10.1.0/24, and SQL-AWS-1 (Always On enabled, same cluster, 10.20.1.0/24) not yet a replica. The listener has only
 * its on-prem IP, so joining SQL-AWS-1 needs MODIFY LISTENER … ADD IP first. GiftCardReports is outside the AG, for
 * manual seeding. At 200 MB/s the 2 GB GiftCard seeds in about ten seconds.
 */
export function demoSqlWorld(options: {
  password: string
  user?: string
  clock?: Clock
  seedingBytesPerSecond?: number
  synchronizeAfterMs?: number
  /** Which SQL Server every instance runs (default 2022). */
  release?: SqlServerRelease
}): SqlWorld {
  const logins = { [options.user ?? 'migrator']: { password: options.password } }
  const onPrem = {
    cluster: 'GIFTCARD-WSFC',
    subnet: '10.10.1.0/24',
    logins,
    productVersion: SQL_SERVER_BUILDS[options.release ?? 2022],
  }
  return new SqlWorld({
    clock: options.clock,
    seedingBytesPerSecond: options.seedingBytesPerSecond ?? 200 * MB,
    synchronizeAfterMs: options.synchronizeAfterMs,
    instances: [
      {
        name: 'SQL-ONPREM-1',
        ...onPrem,
        databases: [
          { name: 'GiftCard', sizeBytes: 2 * GB },
          { name: 'GiftCardAudit', sizeBytes: 500 * MB },
          { name: 'GiftCardReports', sizeBytes: 300 * MB },
        ],
      },
      { name: 'SQL-ONPREM-2', ...onPrem },
      { name: 'SQL-AWS-1', ...onPrem, subnet: '10.20.1.0/24' },
    ],
    availabilityGroups: [
      {
        name: 'AG-GIFTCARD',
        replicas: [
          {
            server: 'SQL-ONPREM-1',
            endpointUrl: 'TCP://sql-onprem-1.giftcard.local:5022',
            availabilityMode: 'SYNCHRONOUS_COMMIT',
            failoverMode: 'AUTOMATIC',
            backupPriority: 50,
          },
          {
            server: 'SQL-ONPREM-2',
            endpointUrl: 'TCP://sql-onprem-2.giftcard.local:5022',
            availabilityMode: 'SYNCHRONOUS_COMMIT',
            failoverMode: 'AUTOMATIC',
            backupPriority: 50,
          },
        ],
        databases: ['GiftCard', 'GiftCardAudit'],
        listener: { dnsName: 'giftcard-lsn', port: 1433, ips: [{ ip: '10.10.1.50', mask: '255.255.255.0' }] },
      },
    ],
  })
}
