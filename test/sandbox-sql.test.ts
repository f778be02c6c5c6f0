// The sandbox's SQL Server world, driven through its TDS servers by the real mssql client with the steps' own statements.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import sql from 'mssql'
import { demoSqlWorld, type SqlSandbox, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.js'
import * as q from '../src/steps/sql/queries.js'

const PASSWORD = 'Gift-card-2024!'
const AG = 'AG-GIFTCARD'
const P = 'SQL-ONPREM-1'
const S = 'SQL-ONPREM-2'
const T = 'SQL-AWS-1'
const MB = 1024 * 1024

interface Harness {
  world: SqlWorld
  sandbox: SqlSandbox
  pools: Record<string, sql.ConnectionPool>
  /** Moves the world's clock (seeds, log, synchronization) without sleeping. */
  advance(ms: number): void
  run(
    on: string,
    statement: string,
    params?: Record<string, unknown>,
  ): Promise<sql.IResult<Record<string, unknown>>>
  rows(on: string, statement: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>
  fails(on: string, statement: string, params?: Record<string, unknown>): Promise<SqlError>
  close(): Promise<void>
}

interface SqlError {
  number: number
  message: string
  code?: string
  class?: number
}

const connect = (host: string, port: number, password = PASSWORD) =>
  new sql.ConnectionPool({
    server: host,
    port,
    user: 'migrator',
    password,
    database: 'master',
    pool: { max: 2 },
    options: { encrypt: false, trustServerCertificate: true },
  }).connect()

async function openSandbox(): Promise<Harness> {
  let now = Date.parse('2025-03-01T09:00:00Z')
  const world = demoSqlWorld({ password: PASSWORD, clock: () => now, synchronizeAfterMs: 1000 })
  const sandbox = await startSqlSandbox({ world })
  const pools: Record<string, sql.ConnectionPool> = {}
  for (const [name, { host, port }] of Object.entries(sandbox.instances))
    pools[name] = await connect(host, port)
  const run = (on: string, statement: string, params: Record<string, unknown> = {}) => {
    const pool = pools[on]
    if (!pool) throw new Error(`no pool for ${on}`)
    const request = pool.request()
    for (const [name, value] of Object.entries(params)) request.input(name, value)
    return request.query<Record<string, unknown>>(statement)
  }
  return {
    world,
    sandbox,
    pools,
    advance: (ms) => {
      now += ms
    },
    run,
    rows: async (on, statement, params) => (await run(on, statement, params)).recordset ?? [],
    fails: async (on, statement, params) => {
      try {
        await run(on, statement, params)
      } catch (error) {
        return error as SqlError
      }
      assert.fail(`expected ${statement.slice(0, 80)} to fail on ${on}`)
    },
    close: async () => {
      await Promise.all(Object.values(pools).map((p) => p.close()))
      await sandbox.close()
    },
  }
}

async function withSandbox(body: (h: Harness) => Promise<void>): Promise<void> {
  const h = await openSandbox()
  try {
    await body(h)
  } finally {
    await h.close()
  }
}

const awsReplica = (o: Partial<q.ReplicaOptions> = {}): q.ReplicaOptions => ({
  endpointUrl: 'TCP://sql-aws-1.giftcard.local:5022',
  availabilityMode: 'ASYNCHRONOUS_COMMIT',
  failoverMode: 'MANUAL',
  seedingMode: 'AUTOMATIC',
  backupPriority: 0,
  secondaryConnections: 'NO',
  ...o,
})

/** ADD REPLICA, the AWS listener IP, JOIN and GRANT: what the steps do before seeding. */
async function joinAws(h: Harness, o: Partial<q.ReplicaOptions> = {}): Promise<void> {
  await h.run(P, q.addReplica(AG, T, awsReplica(o)))
  await h.run(P, q.addListenerIp(AG, 'giftcard-lsn', '10.20.1.50', '255.255.255.0'))
  await h.run(T, q.joinGroup(AG))
  await h.run(T, q.grantCreateAnyDatabase(AG))
}

const stateOf = async (h: Harness, on: string, db: string, replica: string) =>
  (await h.rows(on, q.DATABASE_REPLICA_STATES, { ag: AG })).find(
    (r) => r.database_name === db && r.replica_server_name === replica,
  )

const EXPECTED_COLUMNS: [string, string, Record<string, unknown>][] = [
  [
    q.INSTANCE,
    'server_name product_version major edition engine_edition hadr_enabled hadr_manager_status collation default_data_path default_log_path',
    {},
  ],
  [q.CLUSTER, 'cluster_name quorum_state_desc', {}],
  [q.PERMISSIONS, 'sysadmin control_server alter_any_ag create_any_db view_server_state', {}],
  [
    q.AVAILABILITY_GROUP,
    'name group_id basic_features is_distributed primary_replica synchronization_health_desc local_role',
    { ag: AG },
  ],
  [
    q.REPLICAS,
    'replica_server_name endpoint_url availability_mode_desc failover_mode_desc seeding_mode_desc secondary_role_allow_connections_desc backup_priority role_desc connected_state_desc synchronization_health_desc operational_state_desc',
    { ag: AG },
  ],
  [
    q.DATABASE,
    'name database_id recovery_model_desc state_desc user_access_desc is_read_only group_database_id ag_name database_guid last_log_backup_lsn mirroring_guid',
    { db: 'GiftCard' },
  ],
  [
    q.ENDPOINT,
    'name state_desc role_desc is_encryption_enabled connection_auth_desc encryption_algorithm_desc certificate_id port',
    {},
  ],
  [q.AG_CLUSTER_TYPE, 'cluster_type_desc', { ag: AG }],
  [q.REPLICA_JOIN_STATES, 'replica_server_name join_state_desc', { ag: AG }],
  [q.SYSTEM_ACCOUNT_PERMISSIONS, 'permission_name', {}],
  [q.SERVICE_ACCOUNTS, 'servicename service_account', {}],
  [q.ENDPOINT_CONNECT_GRANTEES, 'grantee', {}],
  [q.DATABASE_ENCRYPTION, 'database_name encryptor_thumbprint encryptor_type', { db: 'GiftCard' }],
  [q.CERTIFICATES, 'certificate_id name thumbprint pvt_key_encryption_type_desc', {}],
  [q.DATABASE_OWNER, 'name owner', { db: 'GiftCard' }],
  [q.LOGIN, 'name', { login: 'migrator' }],
  [q.DATABASE_FILES, 'type_desc name physical_name size_bytes', { db: 'GiftCard' }],
  [q.VOLUMES, 'volume_mount_point total_bytes available_bytes', {}],
  [
    q.SEEDING_PROGRESS,
    'local_database_name remote_machine_name replica_server_name role_desc internal_state_desc transferred_size_bytes database_size_bytes transfer_rate_bytes_per_second estimate_time_complete_utc total_network_wait_time_ms failure_code failure_message operation_id',
    {},
  ],
  [
    q.SEEDING_HISTORY,
    'database_name operation_id start_time completion_time current_state failure_state failure_state_desc error_code number_of_attempts',
    { ag: AG, replica: T },
  ],
  [
    q.DATABASE_REPLICA_STATES,
    'database_name replica_server_name is_local is_primary_replica synchronization_state_desc synchronization_health_desc database_state_desc is_suspended suspend_reason_desc log_send_queue_size redo_queue_size last_hardened_lsn end_of_log_lsn last_commit_time',
    { ag: AG },
  ],
  [q.LISTENER, 'dns_name port ip_address ip_subnet_mask state_desc', { ag: AG }],
  [q.DATABASE_STATE, 'name state_desc group_database_id', { db: 'GiftCard' }],
  [q.DATABASES, 'name state_desc group_database_id', {}],
]

describe('SQL Server sandbox', () => {
  test('every read the steps send returns the columns they alias, typed as their CASTs', () =>
    withSandbox(async (h) => {
      for (const [statement, columns, params] of EXPECTED_COLUMNS) {
        const result = await h.run(P, statement, params)
        assert.deepEqual(Object.keys(result.recordset.columns), columns.split(' '), statement.split('\n')[0])
      }
      const [instance] = await h.rows(P, q.INSTANCE)
      assert.equal(instance?.server_name, P)
      assert.equal(instance?.major, 16)
      const [db] = await h.rows(P, q.DATABASE, { db: 'GiftCard' })
      assert.equal(db?.ag_name, AG)
      assert.equal(typeof db?.last_log_backup_lsn, 'string')
      assert.ok(
        BigInt(String(db?.last_log_backup_lsn)) > 2n ** 53n,
        'LSNs exceed 2^53 and stay exact as text',
      )
      assert.equal(db?.is_read_only, false)
      const backups = await h.rows(P, q.FULL_BACKUP, { db: 'GiftCard', database_guid: db?.database_guid })
      assert.equal(backups.length, 1)
      assert.ok(backups[0]?.backup_finish_date instanceof Date)
      const files = await h.rows(P, q.DATABASE_FILES, { db: 'GiftCard' })
      assert.equal(files.find((f) => f.type_desc === 'ROWS')?.size_bytes, String(2 * 1024 * MB))
      const [group] = await h.rows(P, q.AVAILABILITY_GROUP, { ag: AG })
      assert.equal(group?.local_role, 'PRIMARY')
      assert.equal(group?.basic_features, false)
      assert.deepEqual(await h.rows(T, q.AVAILABILITY_GROUP, { ag: AG }), [], 'T hosts no replica yet')
      assert.deepEqual(await h.rows(T, q.CLUSTER), [
        { cluster_name: 'GIFTCARD-WSFC', quorum_state_desc: 'NORMAL_QUORUM' },
      ])
      const [secondary] = await h.rows(S, q.AVAILABILITY_GROUP, { ag: AG })
      assert.equal(secondary?.local_role, 'SECONDARY')
      const states = await h.rows(P, q.DATABASE_REPLICA_STATES, { ag: AG })
      assert.equal(states.length, 4)
      assert.ok(states.every((s) => s.synchronization_state_desc === 'SYNCHRONIZED'))
      const local = await h.rows(S, q.DATABASE_REPLICA_STATES, { ag: AG })
      assert.deepEqual(
        local.map((s) => [s.replica_server_name, s.is_local]),
        [
          [S, true],
          [S, true],
        ],
      )
    }))

  test('a missing parameter is SQL Server error 137', () =>
    withSandbox(async (h) => {
      const error = await h.fails(P, q.DATABASE)
      assert.equal(error.number, 137)
    }))

  test('JOIN fails with 19456 inside 41158 until the listener has an IP in the AWS subnet', () =>
    withSandbox(async (h) => {
      const notAdded = await h.fails(T, q.joinGroup(AG))
      assert.equal(notAdded.number, 41106)
      await h.run(P, q.addReplica(AG, T, awsReplica()))
      assert.equal((await h.fails(P, q.addReplica(AG, T, awsReplica()))).number, 35209)
      assert.equal((await h.fails(S, q.addReplica(AG, 'OTHER', awsReplica()))).number, 41190)
      const refused = await h.fails(T, q.joinGroup(AG))
      assert.equal(refused.number, 41158)
      assert.match(refused.message, /error 19456/)
      await h.run(P, q.addListenerIp(AG, 'giftcard-lsn', '10.20.1.50', '255.255.255.0'))
      await h.run(T, q.joinGroup(AG))
      const [group] = await h.rows(T, q.AVAILABILITY_GROUP, { ag: AG })
      assert.equal(group?.local_role, 'SECONDARY')
      const listener = await h.rows(P, q.LISTENER, { ag: AG })
      assert.deepEqual(
        listener.map((l) => [l.ip_address, l.state_desc]),
        [
          ['10.10.1.50', 'ONLINE'],
          ['10.20.1.50', 'OFFLINE'],
        ],
      )
    }))

  test('automatic seeding moves bytes with the clock and ends with a joined, synchronizing copy', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.advance(2000)
      const progress = await h.rows(P, q.SEEDING_PROGRESS)
      const giftCard = progress.find((p) => p.local_database_name === 'GiftCard')
      assert.equal(giftCard?.role_desc, 'Source')
      assert.equal(giftCard?.remote_machine_name, 'TCP://sql-aws-1.giftcard.local:5022')
      const first = Number(giftCard?.transferred_size_bytes)
      assert.ok(first > 0 && first < 2 * 1024 * MB)
      assert.ok(giftCard?.estimate_time_complete_utc instanceof Date)
      h.advance(2000)
      const later = (await h.rows(P, q.SEEDING_PROGRESS)).find((p) => p.local_database_name === 'GiftCard')
      assert.ok(Number(later?.transferred_size_bytes) > first, 'transferred grows')
      h.advance(30_000)
      assert.deepEqual(await h.rows(P, q.SEEDING_PROGRESS), [], 'the steps read running seeds only')
      const kept = await h.rows(
        P,
        'SELECT local_database_name, internal_state_desc FROM sys.dm_hadr_physical_seeding_stats',
      )
      assert.deepEqual(
        kept.map((r) => `${r.local_database_name} ${r.internal_state_desc}`).sort(),
        ['GiftCard Success', 'GiftCardAudit Success'],
        'SQL Server keeps finished seeds in the view until it restarts',
      )
      const history = await h.rows(P, q.SEEDING_HISTORY, { ag: AG, replica: T })
      assert.deepEqual(history.map((r) => r.current_state).sort(), ['COMPLETED', 'COMPLETED'])
      assert.equal(history[0]?.failure_state, null)
      const [copy] = await h.rows(T, q.DATABASE_STATE, { db: 'GiftCard' })
      assert.equal(copy?.state_desc, 'ONLINE')
      assert.ok(copy?.group_database_id)
      const state = await stateOf(h, P, 'GiftCard', T)
      assert.equal(state?.synchronization_state_desc, 'SYNCHRONIZING')
      assert.equal(state?.synchronization_health_desc, 'HEALTHY')
      assert.equal(h.world.seedCount(T, 'GiftCard'), 1)
      const [volume] = (await h.rows(T, q.VOLUMES)).filter((v) => v.volume_mount_point === 'D:\\')
      assert.ok(Number(volume?.available_bytes) < 420 * 1024 * MB, 'the seeded files take space on T')
    }))

  test('an injected seeding failure shows in history, and re-issuing SEEDING_MODE = AUTOMATIC seeds again', () =>
    withSandbox(async (h) => {
      h.world.failNextSeed(T, 'GiftCard', 6)
      await joinAws(h)
      h.advance(30_000)
      const history = await h.rows(P, q.SEEDING_HISTORY, { ag: AG, replica: T })
      const failed = history.find((r) => r.database_name === 'GiftCard')
      assert.equal(failed?.current_state, 'FAILED')
      assert.equal(failed?.failure_state, 6)
      assert.equal(failed?.failure_state_desc, 'Transport')
      assert.deepEqual(await h.rows(T, q.DATABASE_STATE, { db: 'GiftCard' }), [])
      h.advance(30_000)
      assert.equal(h.world.seedCount(T, 'GiftCard'), 1, 'a failed seed does not restart by itself')
      await h.run(P, q.modifyReplica(AG, T, 'SEEDING_MODE', 'AUTOMATIC'))
      assert.equal(h.world.seedCount(T, 'GiftCard'), 2)
      assert.equal(h.world.seedCount(T, 'GiftCardAudit'), 1, 'a completed seed is not repeated')
      h.advance(30_000)
      const [newest] = (await h.rows(P, q.SEEDING_HISTORY, { ag: AG, replica: T })).filter(
        (r) => r.database_name === 'GiftCard',
      )
      assert.equal(newest?.current_state, 'COMPLETED')
      const fromTarget = await h.rows(T, q.SEEDING_HISTORY, { ag: AG, replica: P })
      assert.equal(fromTarget.length, 3, 'the target keeps the history too')
      const physical = await h.rows(
        P,
        `SELECT s.local_database_name, s.internal_state_desc, a.current_state
         FROM sys.dm_hadr_physical_seeding_stats s
         JOIN sys.dm_hadr_automatic_seeding a ON a.operation_id = s.local_physical_seeding_id
         WHERE s.local_database_name = N'GiftCard' ORDER BY s.start_time_utc`,
      )
      assert.deepEqual(
        physical.map((r) => `${r.internal_state_desc}/${r.current_state}`),
        ['Failed/FAILED', 'Success/COMPLETED'],
        'finished and failed physical seeding rows stay until a restart, and join their attempt by operation_id',
      )
    }))

  test('sys.dm_hadr_availability_replica_cluster_states carries each replica’s join state', () =>
    withSandbox(async (h) => {
      const joinStates = () =>
        h.rows(
          P,
          `SELECT replica_server_name, join_state_desc FROM sys.dm_hadr_availability_replica_cluster_states
           ORDER BY replica_server_name`,
        )
      await h.run(P, q.addReplica(AG, T, awsReplica()))
      assert.deepEqual(
        (await joinStates()).map((r) => `${r.replica_server_name} ${r.join_state_desc}`),
        [
          'SQL-AWS-1 NOT_JOINED',
          'SQL-ONPREM-1 JOINED_STANDALONE_INSTANCE',
          'SQL-ONPREM-2 JOINED_STANDALONE_INSTANCE',
        ],
      )
      await h.run(P, q.addListenerIp(AG, 'giftcard-lsn', '10.20.1.50', '255.255.255.0'))
      await h.run(T, q.joinGroup(AG))
      const [aws] = await joinStates()
      assert.equal(aws?.join_state_desc, 'JOINED_STANDALONE_INSTANCE')
    }))

  test('a seed failing on the target side reports the reason of a three-digit failure_state', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.world.failNextSeed(T, 'GiftCardAudit', 223, 0)
      h.advance(30_000)
      const [row] = (await h.rows(P, q.SEEDING_HISTORY, { ag: AG, replica: T })).filter(
        (r) => r.database_name === 'GiftCardAudit',
      )
      assert.equal(row?.failure_state, 223)
      assert.equal(row?.failure_state_desc, 'Database With Name Already Exists')
    }))

  test('a stalled seed stops moving bytes while its network wait grows, and resumes when unstalled', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.advance(1000)
      h.world.stallSeed(T, 'GiftCard')
      const at = async () =>
        (await h.rows(P, q.SEEDING_PROGRESS)).find((p) => p.local_database_name === 'GiftCard')
      const before = await at()
      h.advance(60_000)
      const stalled = await at()
      assert.equal(stalled?.transferred_size_bytes, before?.transferred_size_bytes)
      assert.equal(stalled?.transfer_rate_bytes_per_second, '0')
      assert.ok(
        Number(stalled?.total_network_wait_time_ms) > Number(before?.total_network_wait_time_ms) + 50_000,
      )
      h.world.unstallSeed(T, 'GiftCard')
      h.advance(1000)
      assert.ok(Number((await at())?.transferred_size_bytes) > Number(stalled?.transferred_size_bytes))
    }))

  test('manual seeding: backup, restore in order, ADD DATABASE, then SET HADR joins the copy', () =>
    withSandbox(async (h) => {
      await joinAws(h, { seedingMode: 'MANUAL' })
      const db = 'GiftCardReports'
      const full = '\\\\share\\reports_full.bak'
      const log1 = '\\\\share\\reports_1.trn'
      const log2 = '\\\\share\\reports_2.trn'
      await h.run(P, q.BACKUP_FULL, { db, path: full })
      h.advance(5000)
      // Regular log backups (the DBAs' own, not switchyard's COPY_ONLY ones) move the chain: log2 needs log1 first
      const regularLog = 'BACKUP LOG @db TO DISK = @path WITH CHECKSUM, INIT, FORMAT;'
      await h.run(P, regularLog, { db, path: log1 })
      h.advance(5000)
      await h.run(P, regularLog, { db, path: log2 })
      assert.equal((await h.fails(T, q.RESTORE_FULL, { db, path: '\\\\share\\missing.bak' })).number, 3201)
      await h.run(T, q.RESTORE_FULL, { db, path: full })
      assert.equal((await h.rows(T, q.DATABASE_STATE, { db }))[0]?.state_desc, 'RESTORING')
      assert.equal((await h.fails(T, q.RESTORE_LOG, { db, path: log2 })).number, 4305)
      assert.equal((await h.fails(T, q.joinDatabase(AG, db))).number, 41132)
      await h.run(P, q.addDatabase(AG, db))
      assert.equal((await h.fails(P, q.addDatabase(AG, db))).number, 35280)
      assert.equal((await h.fails(T, q.joinDatabase(AG, db))).number, 1478)
      await h.run(T, q.RESTORE_LOG, { db, path: log1 })
      await h.run(T, q.RESTORE_LOG, { db, path: log2 })
      assert.equal((await h.fails(T, q.RESTORE_LOG, { db, path: log1 })).number, 4326)
      await h.run(T, q.joinDatabase(AG, db))
      assert.equal((await h.fails(T, q.joinDatabase(AG, db))).number, 41145)
      assert.equal((await h.fails(T, q.joinDatabase(AG, 'NoSuchDb'))).number, 911)
      const [state] = await h.rows(T, q.DATABASE_STATE, { db })
      assert.equal(state?.state_desc, 'ONLINE')
      assert.equal((await stateOf(h, P, db, T))?.synchronization_state_desc, 'SYNCHRONIZING')
      const [backup] = await h.rows(P, q.FULL_BACKUP, {
        db,
        database_guid: (await h.rows(P, q.DATABASE, { db }))[0]?.database_guid,
      })
      assert.equal(backup?.physical_device_name, full)
      assert.equal(backup?.is_copy_only, true)
      assert.equal(h.world.seedCount(T, db), 0)
    }))

  test('ADD DATABASE refuses a SIMPLE database and one never backed up', () =>
    withSandbox(async (h) => {
      const primary = h.world.instance(P)
      primary.databases.push(h.world.newDatabase(primary, { name: 'Scratch', recoveryModel: 'SIMPLE' }))
      primary.databases.push(h.world.newDatabase(primary, { name: 'Fresh', backedUp: false }))
      assert.equal((await h.fails(P, q.addDatabase(AG, 'Scratch'))).number, 1465)
      assert.equal((await h.fails(P, q.addDatabase(AG, 'Fresh'))).number, 41170)
      assert.equal((await h.fails(S, q.addDatabase(AG, 'Fresh'))).number, 41190)
      assert.equal((await h.fails(P, q.BACKUP_LOG, { db: 'Scratch', path: 'x.trn' })).number, 4208)
    }))

  test('FAILOVER is refused (41142) while asynchronous or catching up, then swaps roles; fail-back works', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.advance(30_000)
      assert.equal((await h.fails(T, q.failover(AG))).number, 41142)
      assert.equal((await h.fails(P, q.failover(AG))).number, 41122)
      await h.run(P, q.modifyReplica(AG, T, 'AVAILABILITY_MODE', 'SYNCHRONOUS_COMMIT'))
      h.advance(200)
      assert.equal((await stateOf(h, P, 'GiftCard', T))?.synchronization_state_desc, 'SYNCHRONIZING')
      assert.equal((await h.fails(T, q.failover(AG))).number, 41142)
      h.advance(2000)
      const [before] = (await h.rows(P, q.DATABASE_REPLICA_STATES, { ag: AG })).filter(
        (r) => r.database_name === 'GiftCard' && r.replica_server_name === T,
      )
      assert.equal(before?.synchronization_state_desc, 'SYNCHRONIZED')
      await h.run(T, q.failover(AG))
      assert.equal((await h.rows(T, q.AVAILABILITY_GROUP, { ag: AG }))[0]?.local_role, 'PRIMARY')
      assert.equal((await h.rows(P, q.AVAILABILITY_GROUP, { ag: AG }))[0]?.local_role, 'SECONDARY')
      assert.equal((await h.rows(P, q.AVAILABILITY_GROUP, { ag: AG }))[0]?.primary_replica, T)
      const listener = await h.rows(T, q.LISTENER, { ag: AG })
      assert.equal(listener.find((l) => l.ip_address === '10.20.1.50')?.state_desc, 'ONLINE')
      assert.equal((await stateOf(h, T, 'GiftCard', P))?.synchronization_state_desc, 'SYNCHRONIZING')
      h.advance(2000)
      assert.equal((await stateOf(h, T, 'GiftCard', P))?.synchronization_state_desc, 'SYNCHRONIZED')
      const primaryRow = await stateOf(h, T, 'GiftCard', T)
      const oldPrimaryRow = await stateOf(h, T, 'GiftCard', P)
      assert.equal(
        q.compareLsn(String(oldPrimaryRow?.last_hardened_lsn), String(primaryRow?.end_of_log_lsn)),
        0,
      )
      await h.run(P, q.failover(AG))
      assert.equal((await h.rows(P, q.AVAILABILITY_GROUP, { ag: AG }))[0]?.local_role, 'PRIMARY')
    }))

  test('a replica that never synchronizes grows its send queue and cannot take a planned failover', () =>
    withSandbox(async (h) => {
      await joinAws(h, { availabilityMode: 'SYNCHRONOUS_COMMIT' })
      h.advance(30_000)
      h.world.neverSynchronize(T)
      h.advance(10_000)
      const first = await stateOf(h, P, 'GiftCard', T)
      h.advance(10_000)
      const second = await stateOf(h, P, 'GiftCard', T)
      assert.equal(second?.synchronization_state_desc, 'SYNCHRONIZING')
      assert.ok(Number(second?.log_send_queue_size) > Number(first?.log_send_queue_size))
      assert.equal((await h.fails(T, q.failover(AG))).number, 41142)
    }))

  test('FORCE_FAILOVER_ALLOW_DATA_LOSS promotes the target and suspends every other copy until resumed', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.advance(30_000)
      await h.run(T, q.forceFailover(AG))
      const states = await h.rows(T, q.DATABASE_REPLICA_STATES, { ag: AG })
      for (const server of [P, S])
        for (const row of states.filter((r) => r.replica_server_name === server)) {
          assert.equal(row.is_suspended, true)
          assert.equal(row.suspend_reason_desc, 'SUSPEND_FROM_PARTNER')
          assert.equal(row.synchronization_state_desc, 'NOT SYNCHRONIZING')
        }
      assert.ok(states.filter((r) => r.replica_server_name === T).every((r) => r.is_suspended === false))
      await h.run(P, q.resumeDatabase('GiftCard'))
      assert.equal((await stateOf(h, T, 'GiftCard', P))?.is_suspended, false)
      assert.equal((await stateOf(h, T, 'GiftCardAudit', P))?.is_suspended, true)
    }))

  test('REMOVE REPLICA sends the removed replica’s copies back to RESTORING', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.advance(30_000)
      await h.run(P, q.removeReplica(AG, T))
      assert.equal((await h.rows(T, q.DATABASE_STATE, { db: 'GiftCard' }))[0]?.state_desc, 'RESTORING')
      assert.deepEqual(await h.rows(T, q.AVAILABILITY_GROUP, { ag: AG }), [])
      assert.ok(!(await h.rows(P, q.REPLICAS, { ag: AG })).some((r) => r.replica_server_name === T))
    }))

  test('a joined copy cannot be dropped (3752); SET HADR OFF leaves it RESTORING, and then it drops', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.advance(30_000)
      assert.equal((await h.fails(T, q.dropDatabase('GiftCard'))).number, 3752)
      assert.equal((await h.fails(P, q.leaveGroup('GiftCard'))).number, 35240, 'not on the primary')
      await h.run(T, q.leaveGroup('GiftCard'))
      assert.deepEqual(await h.rows(T, q.DATABASE_STATE, { db: 'GiftCard' }), [
        { name: 'GiftCard', state_desc: 'RESTORING', group_database_id: null },
      ])
      await h.run(T, q.dropDatabase('GiftCard'))
      assert.deepEqual(await h.rows(T, q.DATABASE_STATE, { db: 'GiftCard' }), [])
      assert.equal((await h.fails(T, q.dropDatabase('GiftCard'))).number, 3701)
    }))

  test('REMOVE DATABASE on the primary takes it out of the AG everywhere; the secondaries keep RESTORING copies', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.advance(30_000)
      assert.equal(
        (await h.fails(S, q.removeDatabase(AG, 'GiftCardAudit'))).number,
        41190,
        'only on the primary',
      )
      await h.run(P, q.removeDatabase(AG, 'GiftCardAudit'))
      const [primary] = await h.rows(P, q.DATABASE, { db: 'GiftCardAudit' })
      assert.equal(primary?.state_desc, 'ONLINE')
      assert.equal(primary?.ag_name, null)
      for (const secondary of [S, T])
        assert.equal(
          (await h.rows(secondary, q.DATABASE_STATE, { db: 'GiftCardAudit' }))[0]?.state_desc,
          'RESTORING',
        )
      assert.ok((await h.fails(P, q.removeDatabase(AG, 'GiftCardAudit'))).number > 0)
    }))

  test('at most five seeds run toward one replica; the rest wait in LIMIT_CONCURRENT_BACKUPS', () =>
    withSandbox(async (h) => {
      const primary = h.world.instance(P)
      for (const n of [1, 2, 3, 4, 5]) {
        primary.databases.push(h.world.newDatabase(primary, { name: `Shard${n}`, sizeBytes: 1024 * MB }))
        await h.run(P, q.addDatabase(AG, `Shard${n}`))
      }
      await joinAws(h)
      h.advance(100)
      const history = await h.rows(P, q.SEEDING_HISTORY, { ag: AG, replica: T })
      assert.equal(history.length, 7)
      assert.equal(history.filter((r) => r.current_state === 'SEEDING').length, 5)
      assert.equal(history.filter((r) => r.current_state === 'LIMIT_CONCURRENT_BACKUPS').length, 2)
      assert.equal((await h.rows(P, q.SEEDING_PROGRESS)).length, 5)
      h.advance(120_000)
      const done = await h.rows(P, q.SEEDING_HISTORY, { ag: AG, replica: T })
      assert.ok(done.every((r) => r.current_state === 'COMPLETED'))
    }))

  test('a disconnected replica stops synchronizing and its seeds wait on the network', () =>
    withSandbox(async (h) => {
      await joinAws(h)
      h.world.setReplicaConnected(T, false)
      h.advance(5000)
      const [seed] = await h.rows(P, q.SEEDING_PROGRESS)
      assert.equal(seed?.transferred_size_bytes, '0')
      const [replica] = (await h.rows(P, q.REPLICAS, { ag: AG })).filter((r) => r.replica_server_name === T)
      assert.equal(replica?.connected_state_desc, 'DISCONNECTED')
      h.world.setReplicaConnected(S, false)
      h.advance(1000)
      assert.equal((await stateOf(h, P, 'GiftCard', S))?.synchronization_state_desc, 'NOT SYNCHRONIZING')
      h.world.setReplicaConnected(S, true)
      h.advance(2000)
      assert.equal((await stateOf(h, P, 'GiftCard', S))?.synchronization_state_desc, 'SYNCHRONIZED')
    }))

  test('an instance of another major version cannot join', () =>
    withSandbox(async (h) => {
      h.world.instance(T).productVersion = '17.0.1000.7'
      await h.run(P, q.addReplica(AG, T, awsReplica()))
      await h.run(P, q.addListenerIp(AG, 'giftcard-lsn', '10.20.1.50', '255.255.255.0'))
      const error = await h.fails(T, q.joinGroup(AG))
      assert.equal(error.number, 41158)
      assert.match(error.message, /error 35250/)
    }))

  test('a quoteName’d hostile database name is one name: no second statement runs', () =>
    withSandbox(async (h) => {
      const hostile = 'x]; DROP DATABASE y; --'
      const primary = h.world.instance(P)
      primary.databases.push(h.world.newDatabase(primary, { name: hostile }))
      primary.databases.push(h.world.newDatabase(primary, { name: 'y' }))
      const statement = q.addDatabase(AG, hostile)
      assert.equal(
        statement,
        'ALTER AVAILABILITY GROUP [AG-GIFTCARD] ADD DATABASE [x]]; DROP DATABASE y; --];',
      )
      await h.run(P, statement)
      assert.equal((await h.rows(P, q.DATABASE, { db: hostile }))[0]?.ag_name, AG)
      assert.equal((await h.rows(P, q.DATABASE, { db: 'y' }))[0]?.ag_name, null, 'y is untouched')
      // Badly quoted, the same text is two statements and SQL Server runs both: y joins the AG, then DROP fails (3752)
      const error = await h.fails(
        P,
        'ALTER AVAILABILITY GROUP [AG-GIFTCARD] ADD DATABASE [y]; DROP DATABASE y; --]',
      )
      assert.equal(error.number, 3752)
      assert.equal((await h.rows(P, q.DATABASE, { db: 'y' }))[0]?.ag_name, AG)
      const literal = q.removeReplica(AG, "O'Brien]; --")
      assert.equal((await h.fails(P, literal)).number, 15151)
    }))

  test('unknown statements and reads fail loudly with SQL Server error numbers', () =>
    withSandbox(async (h) => {
      const unknown = await h.fails(P, 'SELECT name FROM sys.databases WHERE;')
      assert.equal(unknown.number, 102)
      assert.match(unknown.message, /Incorrect syntax near 'WHERE'/)
      const missing = await h.fails(P, 'SELECT x FROM sys.no_such_view;')
      assert.equal(missing.number, 208)
      assert.match(missing.message, /sys\.no_such_view/)
      assert.deepEqual((await h.run(P, 'SELECT 1;')).recordset, [{ '': 1 }])
    }))

  test('logins: a wrong password and a refused instance fail with 18456', () =>
    withSandbox(async (h) => {
      const { host, port } = h.sandbox.instances[P] ?? assert.fail()
      await assert.rejects(connect(host, port, 'wrong'), (e: SqlError) => {
        assert.match(e.message, /Login failed for user 'migrator'/)
        return true
      })
      h.world.refuseLogin(P)
      await assert.rejects(connect(host, port), /Login failed/)
      h.world.refuseLogin(P, false)
      await (await connect(host, port)).close()
    }))

  test('a dropped connection surfaces as ECONNCLOSED/ESOCKET and the pool recovers', () =>
    withSandbox(async (h) => {
      h.world.dropConnectionOn("SERVERPROPERTY('ServerName')")
      const error = await h.fails(P, q.INSTANCE)
      assert.ok(['ECONNCLOSED', 'ESOCKET', 'ECONNRESET'].includes(String(error.code)), String(error.code))
      const [row] = await h.rows(P, q.INSTANCE)
      assert.equal(row?.server_name, P)
    }))
})
