import type { Clock } from '../aws/clock.js'
import type { ServerObjectsSpec } from './server-objects-seed.js'
import { type LoginSpec, SQL_SERVER_BUILDS, type SqlServerRelease, SqlWorld } from './world.js'

const MB = 1024 * 1024
const GB = 1024 * MB

/** What the gift-card app needs outside its databases, on both on-prem nodes and not yet on AWS (sql.sync-objects). */
const GIFTCARD_LOGINS: Record<string, LoginSpec> = {
  giftcard_app: { password: 'Sandbox-app-login-1!', sysadmin: false, defaultDatabase: 'GiftCard' },
  giftcard_ops: { password: 'Sandbox-ops-login-1!', sysadmin: false, roles: ['dbcreator'] },
  legacy_batch: { password: 'Sandbox-legacy-1!', sysadmin: false, disabled: true, checkPolicy: false },
  'GIFTCARD\\svc-giftcard-web': { windows: true, sysadmin: false, defaultDatabase: 'GiftCard' },
}

const GIFTCARD_SERVER_OBJECTS: ServerObjectsSpec = {
  jobs: [
    {
      name: 'GiftCard - expire balances',
      owner: 'giftcard_ops',
      description: 'Expires gift-card balances past their end date',
      steps: [{ name: 'expire', command: 'EXEC dbo.ExpireBalances;', database: 'GiftCard' }],
      schedules: [{ name: 'nightly 01:00', freqType: 4, freqInterval: 1, activeStartTime: 10000 }],
    },
    {
      name: 'GiftCard - index maintenance',
      category: 'Database Maintenance',
      steps: [
        { name: 'rebuild', command: 'ALTER INDEX ALL ON dbo.Cards REBUILD;', database: 'GiftCard' },
        { name: 'statistics', command: 'EXEC sp_updatestats;', database: 'GiftCard' },
      ],
      schedules: [{ name: 'sundays 03:00', freqType: 8, freqInterval: 1, activeStartTime: 30000 }],
    },
  ],
  linkedServers: [
    {
      name: 'PAYMENTS',
      product: '',
      provider: 'MSOLEDBSQL',
      dataSource: 'payments-sql.giftcard.local',
      catalog: 'Payments',
      logins: [{ local: 'giftcard_app', remoteUser: 'gc_reader', remotePassword: 'Sandbox-remote-1!' }],
    },
  ],
  credentials: [{ name: 'BackupToUrl', identity: 'giftcardbackups', secret: 'Sandbox-sas-token' }],
}

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
  const onPremOnly = { logins: { ...logins, ...GIFTCARD_LOGINS }, serverObjects: GIFTCARD_SERVER_OBJECTS }
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
        ...onPremOnly,
        databases: [
          { name: 'GiftCard', sizeBytes: 2 * GB },
          { name: 'GiftCardAudit', sizeBytes: 500 * MB },
          { name: 'GiftCardReports', sizeBytes: 300 * MB },
        ],
      },
      { name: 'SQL-ONPREM-2', ...onPrem, ...onPremOnly },
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
