// sql.seed-replica against a gift-card world where SQL-AWS-1 has the AWS drive layout (data on E:, log on F:,
// no D:\SQLData or L:\SQLLogs), through the real mssql client to the sandbox's TDS servers.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type sql from 'mssql'
import { demoSqlWorld, type SqlSandbox, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import type { SqlServerRelease } from '../src/sandbox/sql/world.ts'
import { sqlAddReplica } from '../src/steps/sql/add-replica.ts'
import { sqlPreflight } from '../src/steps/sql/preflight.ts'
import { sqlSeedReplica } from '../src/steps/sql/seed-replica.ts'
import { demoSqlTargets } from './helpers/sql-demo.ts'
import { sandboxPool } from './helpers/sql-pool.ts'
import { createStepContext, type TestStepContext } from './helpers/step-context.ts'
import { run, step } from './helpers/step-run.ts'

const PASSWORD = 'Seed-where-it-fits-2024!'
const AG = 'AG-GIFTCARD'
const MB = 1024 * 1024
const GB = 1024 * MB
const SHARE = '\\\\fs01\\sqlbackup'

interface Platform {
  world: SqlWorld
  sandbox: SqlSandbox
  context(options?: { checkpoints?: unknown[] }): TestStepContext
  /** A pool to one instance, as a DBA's client would open it. */
  pool(instance: string): Promise<sql.ConnectionPool>
}

const closers: (() => Promise<unknown>)[] = []
after(() => Promise.all(closers.map((close) => close())))

/** EC2 instances keep SQL Server's files on their own EBS volumes: nothing on D:\ or L:\ as on-prem. */
function awsLayout(world: SqlWorld) {
  const aws = world.instance('SQL-AWS-1')
  aws.defaultDataPath = 'E:\\MSSQL\\Data\\'
  aws.defaultLogPath = 'F:\\MSSQL\\Log\\'
  aws.volumes = [
    { mountPoint: 'C:\\', totalBytes: 100 * GB, availableBytes: 50 * GB },
    { mountPoint: 'E:\\', totalBytes: 500 * GB, availableBytes: 400 * GB },
    { mountPoint: 'F:\\', totalBytes: 100 * GB, availableBytes: 90 * GB },
    { mountPoint: 'G:\\', totalBytes: 50 * GB, availableBytes: 40 * GB },
  ]
  aws.folders = new Set([
    'c:\\',
    'e:\\',
    'f:\\',
    'g:\\',
    'e:\\mssql\\data\\',
    'f:\\mssql\\log\\',
    'g:\\reports\\',
  ])
}

async function platform(release?: SqlServerRelease): Promise<Platform> {
  const world = demoSqlWorld({
    password: PASSWORD,
    seedingBytesPerSecond: 4000 * MB,
    synchronizeAfterMs: 150,
    ...(release ? { release } : {}),
  })
  awsLayout(world)
  const sandbox = await startSqlSandbox({ world })
  closers.push(() => sandbox.close())
  const targets = demoSqlTargets(sandbox, PASSWORD)
  return {
    world,
    sandbox,
    context: (o = {}) => {
      const t = createStepContext({ workdir: process.cwd(), targets, secrets: [PASSWORD], ...o })
      closers.push(() => t.close())
      return t
    },
    pool: async (instance) => {
      const pool = sandboxPool(sandbox, instance, PASSWORD, { options: { trustServerCertificate: true } })
      closers.push(() => pool.close())
      return pool.connect()
    },
  }
}

const ADD = {
  ag: AG,
  primary: 'sql-onprem',
  replica: 'sql-aws',
  endpoint_url: 'TCP://sql-aws-1.giftcard.local:5022',
  listener_ip: { listener: 'giftcard-lsn', ip: '10.20.1.50', mask: '255.255.255.0' },
}

const manual = (extra: Record<string, unknown> = {}) => ({
  ag: AG,
  primary: 'sql-onprem',
  replica: 'sql-aws',
  databases: ['GiftCardReports'],
  seeding: 'manual',
  backup_share: SHARE,
  secondaries: ['sql-onprem-2'],
  poll: '50ms',
  ...extra,
})

/** GiftCardAudit, already in the AG, seeded automatically onto SQL-AWS-1. */
const AUTOMATIC_AUDIT = {
  ag: AG,
  primary: 'sql-onprem',
  replica: 'sql-aws',
  databases: ['GiftCardAudit'],
  seeding: 'automatic',
  poll: '50ms',
}

/** Where the replica keeps a database's files, as a DBA reads it there. */
async function filesOn(p: Platform, instance: string, db: string) {
  const pool = await p.pool(instance)
  const result = await pool
    .request()
    .input('db', db)
    .query<{ name: string; physical_name: string }>(
      'SELECT name, physical_name FROM sys.master_files WHERE database_id = DB_ID(@db) ORDER BY file_id',
    )
  return Object.fromEntries(result.recordset.map((r) => [r.name, r.physical_name]))
}

describe('the stand-in refuses a RESTORE whose files have nowhere to go, as SQL Server does', () => {
  test('RESTORE without MOVE onto a replica that lacks the primary folders: 5133 and 3156 per file, then 3119, 3013', async () => {
    const p = await platform()
    const primary = await p.pool('SQL-ONPREM-1')
    await primary
      .request()
      .input('db', 'GiftCardReports')
      .input('path', `${SHARE}\\reports.bak`)
      .query('BACKUP DATABASE @db TO DISK = @path WITH COPY_ONLY;')
    const aws = await p.pool('SQL-AWS-1')
    const error = await aws
      .request()
      .input('db', 'GiftCardReports')
      .input('path', `${SHARE}\\reports.bak`)
      .query('RESTORE DATABASE @db FROM DISK = @path WITH NORECOVERY;')
      .then(
        () => assert.fail('the restore was accepted'),
        (e: { number: number; message: string; precedingErrors: { number: number; message: string }[] }) => e,
      )
    assert.equal(error.number, 3013)
    assert.equal(error.message, 'RESTORE DATABASE is terminating abnormally.')
    assert.deepEqual(
      error.precedingErrors.map((e) => e.number),
      [5133, 3156, 5133, 3156, 3119],
    )
    assert.match(
      error.precedingErrors[0]?.message ?? '',
      /^Directory lookup for the file "D:\\SQLData\\GiftCardReports\.mdf" failed with the operating system error 3\(The system cannot find the path specified\.\)\.$/,
    )
    assert.match(
      error.precedingErrors[1]?.message ?? '',
      /^File 'GiftCardReports' cannot be restored to 'D:\\SQLData\\GiftCardReports\.mdf'\. Use WITH MOVE to identify a valid location for the file\.$/,
    )
    assert.equal(p.world.database(p.world.instance('SQL-AWS-1'), 'GiftCardReports'), undefined)
  })
})

describe('manual seeding puts the files where the replica keeps them', () => {
  test("restores WITH MOVE into the replica's default data and log folders, and says so in the plan", async () => {
    const p = await platform()
    await run(sqlAddReplica, ADD, p.context())
    const t = p.context()
    const { plan } = await run(sqlSeedReplica, manual(), t)
    assert.match(
      plan.changes[0]?.summary ?? '',
      /GiftCardReports -> E:\\MSSQL\\Data\\GiftCardReports\.mdf, GiftCardReports_log -> F:\\MSSQL\\Log\\GiftCardReports_log\.ldf/,
    )
    assert.deepEqual(await filesOn(p, 'SQL-AWS-1', 'GiftCardReports'), {
      GiftCardReports: 'E:\\MSSQL\\Data\\GiftCardReports.mdf',
      GiftCardReports_log: 'F:\\MSSQL\\Log\\GiftCardReports_log.ldf',
    })
  })

  test('file_map sends a file by its logical name, or a primary folder, where the runbook says', async () => {
    const p = await platform()
    await run(sqlAddReplica, ADD, p.context())
    await run(
      sqlSeedReplica,
      manual({ file_map: { GiftCardReports_log: 'G:\\Reports\\', 'D:\\SQLData': 'G:\\Reports' } }),
      p.context(),
    )
    assert.deepEqual(await filesOn(p, 'SQL-AWS-1', 'GiftCardReports'), {
      GiftCardReports: 'G:\\Reports\\GiftCardReports.mdf',
      GiftCardReports_log: 'G:\\Reports\\GiftCardReports_log.ldf',
    })
  })

  test('a target folder missing on the replica stops the step before any backup, naming the folder', async () => {
    const p = await platform()
    await run(sqlAddReplica, ADD, p.context())
    await assert.rejects(
      run(sqlSeedReplica, manual({ file_map: { GiftCardReports: 'H:\\Nowhere\\' } }), p.context()),
      (error: Error & { hint?: string }) => {
        assert.match(
          error.message,
          /GiftCardReports cannot be restored on SQL-AWS-1: the folder H:\\Nowhere\\ does not exist there/,
        )
        assert.match(error.hint ?? '', /file_map/)
        return true
      },
    )
    assert.equal(p.world.backupFiles.size, 0, 'nothing was backed up')
  })
})

describe('a RESTORE SQL Server refuses says why', () => {
  test("a volume without room: SQL Server's 3257 reaches the operator with what to do", async () => {
    const p = await platform()
    await run(sqlAddReplica, ADD, p.context())
    const e = p.world.instance('SQL-AWS-1').volumes.find((v) => v.mountPoint === 'E:\\')
    if (e) e.availableBytes = 10 * MB
    await assert.rejects(run(sqlSeedReplica, manual(), p.context()), (error: Error & { hint?: string }) => {
      assert.match(
        error.message,
        /RESTORE of GiftCardReports on SQL-AWS-1 was refused: .*error 3257: There is insufficient free space on disk volume 'E:\\' .*error 3013: RESTORE DATABASE is terminating abnormally\./,
      )
      assert.match(error.hint ?? '', /free the space/)
      return true
    })
  })
})

describe('manual seeding protects every secondary of the AG', () => {
  test('SQL-ONPREM-2 gets its own copy, joined and synchronized, and can still take a failover', async () => {
    const p = await platform()
    await run(sqlAddReplica, ADD, p.context())
    const { plan } = await run(sqlSeedReplica, manual(), p.context())
    assert.match(plan.changes[0]?.summary ?? '', /restore on SQL-AWS-1 and SQL-ONPREM-2 WITH NORECOVERY/)
    assert.deepEqual(await filesOn(p, 'SQL-ONPREM-2', 'GiftCardReports'), {
      GiftCardReports: 'D:\\SQLData\\GiftCardReports.mdf',
      GiftCardReports_log: 'L:\\SQLLogs\\GiftCardReports_log.ldf',
    })
    const onprem2 = await p.pool('SQL-ONPREM-2')
    await onprem2.request().query('ALTER AVAILABILITY GROUP [AG-GIFTCARD] FAILOVER;')
    const [role] = (
      await onprem2
        .request()
        .query<{ role_desc: string }>(
          'SELECT role_desc FROM sys.dm_hadr_availability_replica_states WHERE is_local = 1',
        )
    ).recordset
    assert.equal(role?.role_desc, 'PRIMARY')
  })

  test('without a connection to every other secondary it refuses before acting, naming the replica left out', async () => {
    const p = await platform()
    await run(sqlAddReplica, ADD, p.context())
    await assert.rejects(
      run(sqlSeedReplica, manual({ secondaries: undefined }), p.context()),
      (error: Error & { hint?: string }) => {
        assert.match(error.message, /has no connection to SQL-ONPREM-2 .* could no longer take a failover/)
        assert.match(error.hint ?? '', /secondaries/)
        return true
      },
    )
    assert.equal(p.world.backupFiles.size, 0, 'nothing was backed up')
    assert.ok(!p.world.group(AG)?.databases.some((d) => d.name === 'GiftCardReports'), 'nothing was added')
  })
})

describe('the backups manual seeding makes stay out of the production log chain', () => {
  test("both backups are COPY_ONLY: the primary's log chain is where the DBAs' own backups left it", async () => {
    const p = await platform()
    await run(sqlAddReplica, ADD, p.context())
    const primary = p.world.instance('SQL-ONPREM-1')
    const chainBefore = p.world.database(primary, 'GiftCardReports')?.lastLogBackupBytes
    const t = p.context()
    const { outputs } = await run(sqlSeedReplica, manual(), t)
    assert.equal(p.world.database(primary, 'GiftCardReports')?.lastLogBackupBytes, chainBefore)
    const pool = await p.pool('SQL-ONPREM-1')
    const made = await pool
      .request()
      .query<{ type: string; is_copy_only: boolean; physical_device_name: string }>(
        `SELECT bs.type, bs.is_copy_only, bmf.physical_device_name FROM msdb.dbo.backupset bs
         JOIN msdb.dbo.backupmediafamily bmf ON bmf.media_set_id = bs.media_set_id
         WHERE bs.database_name = 'GiftCardReports' AND bmf.physical_device_name LIKE '\\\\fs01%'`,
      )
    assert.deepEqual(
      made.recordset.map((r) => [r.type, r.is_copy_only]),
      [
        ['D', true],
        ['L', true],
      ],
    )
    const files = (outputs.databases as Record<string, { backup_files: string[] }>).GiftCardReports
      ?.backup_files
    assert.deepEqual(
      files,
      made.recordset.map((r) => r.physical_device_name),
      'the outputs name the files it wrote',
    )
    const seeding = await step(sqlSeedReplica, manual())
    const undo = seeding.implementation.describeUndo?.(seeding.params, t.undo) ?? []
    assert.ok(
      undo.some((line) => /leaves the backup files .* on \\\\fs01\\sqlbackup/.test(line)),
      `rollback says what becomes of the backup files: ${undo.join('; ')}`,
    )
  })
})

describe('sql.preflight checks where manual seeding will put the files', () => {
  test('names a target folder that is missing and a volume without room; stops claiming defaults', async () => {
    const p = await platform()
    const aws = p.world.instance('SQL-AWS-1')
    const f = aws.volumes.find((v) => v.mountPoint === 'F:\\')
    if (f) f.availableBytes = 10 * MB
    const { implementation, params } = await step<Record<string, unknown>>(sqlPreflight, {
      ag: AG,
      primary: 'sql-onprem',
      replica: 'sql-aws',
      databases: ['GiftCardReports'],
      seeding: 'manual',
      file_map: { GiftCardReports: 'H:\\Nowhere\\' },
    })
    const t = p.context()
    await assert.rejects(implementation.apply(t.ctx, params, { changes: [] }), (error: Error) => {
      assert.match(error.message, /target folders: .*H:\\Nowhere\\ does not exist on SQL-AWS-1/)
      assert.match(error.message, /free space: .*on F:\\, .*needed/)
      assert.doesNotMatch(error.message, /go to the replica's defaults/)
      return true
    })
  })
})

describe('automatic seeding follows its own attempts', () => {
  test('a failure left in the DMVs by an earlier run is history: the next run retries and counts only its own tries', async () => {
    const p = await platform()
    await run(sqlAddReplica, { ...ADD, seeding_mode: 'manual' }, p.context())
    const automatic = { ...AUTOMATIC_AUDIT, seed_attempts: 1 }
    p.world.failNextSeed('SQL-AWS-1', 'GiftCardAudit', 206, 10054)
    await assert.rejects(run(sqlSeedReplica, automatic, p.context()), /Transport \(target side\)/)
    p.world.failNextSeed('SQL-AWS-1', 'GiftCardAudit', 206, 10054)
    const t = p.context()
    const { outputs } = await run(sqlSeedReplica, { ...automatic, seed_attempts: 2 }, t)
    assert.equal((outputs.databases as Record<string, { tries: number }>).GiftCardAudit?.tries, 2)
    assert.equal(
      p.world.seedCount('SQL-AWS-1', 'GiftCardAudit'),
      3,
      'one failed seed before, two in this run',
    )
  })
})

describe('where automatic seeding puts the files depends on the version', () => {
  const automatic = AUTOMATIC_AUDIT

  test("from SQL Server 2017 a file under the primary's default folders lands under the replica's", async () => {
    const p = await platform(2019)
    await run(sqlAddReplica, ADD, p.context())
    await run(sqlSeedReplica, automatic, p.context())
    assert.deepEqual(await filesOn(p, 'SQL-AWS-1', 'GiftCardAudit'), {
      GiftCardAudit: 'E:\\MSSQL\\Data\\GiftCardAudit.mdf',
      GiftCardAudit_log: 'F:\\MSSQL\\Log\\GiftCardAudit_log.ldf',
    })
  })

  test("on SQL Server 2016 it needs the primary's folders on the replica: preflight says so, and the seed fails with 5133", async () => {
    const p = await platform(2016)
    const { implementation, params } = await step<Record<string, unknown>>(sqlPreflight, {
      ag: AG,
      primary: 'sql-onprem',
      replica: 'sql-aws',
      databases: ['GiftCardAudit'],
    })
    await assert.rejects(implementation.apply(p.context().ctx, params, { changes: [] }), (error: Error) => {
      assert.match(
        error.message,
        /target folders: D:\\SQLData\\, L:\\SQLLogs\\ does not exist on SQL-AWS-1; automatic seeding creates files/,
      )
      return true
    })
    await run(sqlAddReplica, ADD, p.context())
    await assert.rejects(
      run(sqlSeedReplica, automatic, p.context()),
      /seeding GiftCardAudit to SQL-AWS-1 failed: SQL Error \(target side\), SQL Server error 5133/,
    )
  })
})
