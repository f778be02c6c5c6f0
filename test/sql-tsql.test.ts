// The sandbox's SQL Server reads T-SQL as SQL Server does: every statement the steps send binds on every release the
// catalog models, wrong names fail with SQL Server's numbers and words, and what clients and DBAs type on connect works.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import sql from 'mssql'
import {
  demoSqlWorld,
  SQL_SERVER_BUILDS,
  type SqlSandbox,
  type SqlServerRelease,
  startSqlSandbox,
} from '../src/sandbox/sql/index.ts'
import * as q from '../src/steps/sql/queries.ts'
import { sandboxPool } from './helpers/sql-pool.ts'

const PASSWORD = 'Parse-and-bind-2024!'
const AG = 'AG-GIFTCARD'
const P = 'SQL-ONPREM-1'

interface Server {
  sandbox: SqlSandbox
  pool: sql.ConnectionPool
}

const opened: Server[] = []
after(async () => {
  for (const s of opened) {
    await s.pool.close()
    await s.sandbox.close()
  }
})

function poolFor(sandbox: SqlSandbox, options: { database?: string; retries?: number } = {}) {
  return sandboxPool(sandbox, P, PASSWORD, {
    database: options.database ?? 'master',
    pool: { max: 1 },
    // tedious retries 4060 as transient; a test that expects it need not wait for the retries
    options: {
      encrypt: true,
      trustServerCertificate: true,
      maxRetriesOnTransientErrors: options.retries ?? 3,
    },
  })
}

/** One sandbox per release, shared by this file's tests. */
const servers = new Map<SqlServerRelease, Promise<Server>>()
function serverOf(release: SqlServerRelease): Promise<Server> {
  let server = servers.get(release)
  if (!server) {
    server = (async () => {
      const sandbox = await startSqlSandbox({ world: demoSqlWorld({ password: PASSWORD, release }) })
      const pool = await poolFor(sandbox).connect()
      const s = { sandbox, pool }
      opened.push(s)
      return s
    })()
    servers.set(release, server)
  }
  return server
}

async function run(
  statement: string,
  params: Record<string, unknown> = {},
  release: SqlServerRelease = 2022,
) {
  const { pool } = await serverOf(release)
  const request = pool.request()
  for (const [name, value] of Object.entries(params)) request.input(name, value)
  return request.query<Record<string, unknown>>(statement)
}

async function batch(statement: string, release: SqlServerRelease = 2022) {
  const { pool } = await serverOf(release)
  return pool.request().batch<Record<string, unknown>>(statement)
}

interface SqlError {
  number: number
  message: string
  class: number
  state: number
}

async function failure(promise: Promise<unknown>): Promise<SqlError> {
  try {
    await promise
  } catch (error) {
    return error as SqlError
  }
  assert.fail('expected the statement to fail')
}

/** Every read the steps send, with the parameters it binds. */
const READS: [string, string, Record<string, unknown>][] = [
  ['INSTANCE', q.INSTANCE, {}],
  ['CLUSTER', q.CLUSTER, {}],
  ['PERMISSIONS', q.PERMISSIONS, {}],
  ['AVAILABILITY_GROUP', q.AVAILABILITY_GROUP, { ag: AG }],
  ['REPLICAS', q.REPLICAS, { ag: AG }],
  ['DATABASE', q.DATABASE, { db: 'GiftCard' }],
  ['FULL_BACKUP', q.FULL_BACKUP, { db: 'GiftCard', database_guid: '00000000-0000-0000-0000-000000000000' }],
  ['ENDPOINT', q.ENDPOINT, {}],
  ['DATABASE_FILES', q.DATABASE_FILES, { db: 'GiftCard' }],
  ['VOLUMES', q.VOLUMES, {}],
  ['SEEDING_PROGRESS', q.SEEDING_PROGRESS, {}],
  ['SEEDING_HISTORY', q.SEEDING_HISTORY, { ag: AG, replica: 'SQL-AWS-1' }],
  ['DATABASE_REPLICA_STATES', q.DATABASE_REPLICA_STATES, { ag: AG }],
  ['LISTENER', q.LISTENER, { ag: AG }],
  ['DATABASE_STATE', q.DATABASE_STATE, { db: 'GiftCard' }],
  ['DATABASES', q.DATABASES, {}],
]

const RELEASES = Object.keys(SQL_SERVER_BUILDS).map(Number) as SqlServerRelease[]

describe('T-SQL as SQL Server reads it', () => {
  for (const release of RELEASES)
    test(`every read the steps send parses and binds on SQL Server ${release}`, async () => {
      for (const [name, statement, params] of READS) {
        const result = await run(statement, params, release).catch((error: SqlError) =>
          assert.fail(`${name} on ${release}: Msg ${error.number}: ${error.message}`),
        )
        assert.ok(result.recordset, `${name} returns a result set on ${release}`)
      }
      const [instance] = (await run(q.INSTANCE, {}, release)).recordset
      assert.equal(instance?.product_version, SQL_SERVER_BUILDS[release])
    })

  test('a column a release does not have is Msg 207 there and a value from the next release on', async () => {
    const statement = 'SELECT name, cluster_type_desc FROM sys.availability_groups'
    const error = await failure(run(statement, {}, 2016))
    assert.equal(error.number, 207)
    assert.equal(error.message, "Invalid column name 'cluster_type_desc'.")
    assert.equal(error.class, 16)
    const [group] = (await run(statement, {}, 2017)).recordset
    assert.deepEqual(group, { name: AG, cluster_type_desc: 'wsfc' })
  })

  test('one wrong column in a step’s query fails the way it would on a customer’s server', async () => {
    // A mutation of the steps' own statement: the stand-in no longer agrees with a query by construction
    const mutated = q.REPLICAS.replace('ar.endpoint_url', 'ar.endpoint_uri')
    assert.notEqual(mutated, q.REPLICAS)
    const error = await failure(run(mutated, { ag: AG }))
    assert.equal(error.number, 207)
    assert.equal(error.message, "Invalid column name 'endpoint_uri'.")
  })

  test('wrong names and wrong syntax come back with SQL Server’s numbers, severities and words', async () => {
    const object = await failure(run('SELECT name FROM sys.availability_group'))
    assert.deepEqual(
      [object.number, object.class, object.message],
      [208, 16, "Invalid object name 'sys.availability_group'."],
    )
    const syntax = await failure(run('SELECT name FROM sys.databases WHERE'))
    assert.deepEqual(
      [syntax.number, syntax.class, syntax.message],
      [102, 15, "Incorrect syntax near 'WHERE'."],
    )
    const alias = await failure(run('SELECT x.name FROM sys.databases d'))
    assert.deepEqual(
      [alias.number, alias.message],
      [4104, 'The multi-part identifier "x.name" could not be bound.'],
    )
    const ambiguous = await failure(
      run('SELECT name FROM sys.databases d JOIN sys.master_files f ON f.database_id = d.database_id'),
    )
    assert.deepEqual([ambiguous.number, ambiguous.message], [209, "Ambiguous column name 'name'."])
    const variable = await failure(run('SELECT name FROM sys.databases WHERE name = @db'))
    assert.deepEqual([variable.number, variable.message], [137, 'Must declare the scalar variable "@db".'])
    const fn = await failure(run('SELECT NO_SUCH_FUNCTION(1)'))
    assert.deepEqual(
      [fn.number, fn.message],
      [195, "'NO_SUCH_FUNCTION' is not a recognized built-in function name."],
    )
  })

  test('a column error is found on zero rows, before anything in the batch runs', async () => {
    const error = await failure(
      batch("RAISERROR('ran', 10, 1); SELECT no_such_column FROM sys.databases WHERE 1 = 0"),
    )
    assert.equal(error.number, 207)
  })

  test('a login to a database that does not exist is refused with 4060', async () => {
    const { sandbox } = await serverOf(2022)
    const pool = poolFor(sandbox, { database: 'NoSuchDb', retries: 0 })
    const error = (await pool.connect().then(
      () => assert.fail('login should fail'),
      (e: Error) => e,
    )) as Error & { code?: string }
    assert.equal(error.code, 'ELOGIN')
    assert.equal(error.message, 'Cannot open database "NoSuchDb" requested by the login. The login failed.')
  })

  test('what clients send on connect: @@VERSION, SERVERPROPERTY, @@SPID, SET options', async () => {
    const [row] = (
      await batch(
        "SET NOCOUNT ON\nSET ANSI_NULLS ON\nSELECT @@VERSION AS v, SERVERPROPERTY('ProductVersion') AS pv, " +
          "SERVERPROPERTY('EngineEdition') AS ee, SERVERPROPERTY('NoSuchProperty') AS none, @@SPID AS spid, DB_NAME() AS db",
        2019,
      )
    ).recordset
    assert.match(String(row?.v), /^Microsoft SQL Server 2019 \(RTM-CU\d+\) .* - 15\.0\.4385\.2 \(X64\)/)
    assert.equal(row?.pv, SQL_SERVER_BUILDS[2019])
    assert.equal(row?.ee, 3)
    assert.equal(row?.none, null)
    assert.ok(Number(row?.spid) >= 51)
    assert.equal(row?.db, 'master')
  })

  test('what DBAs type: USE, transactions, RAISERROR, several statements in one batch, literals or parameters', async () => {
    const { pool } = await serverOf(2022)
    const infos: string[] = []
    const request = pool.request()
    request.on('info', (info: { message: string }) => infos.push(info.message))
    const result = await request.batch(
      'USE msdb\nSELECT DB_NAME() AS db\nBEGIN TRANSACTION\nSELECT @@TRANCOUNT AS open_transactions\nCOMMIT TRANSACTION\n' +
        "RAISERROR('seeding %s is %d%% done', 10, 1, N'GiftCard', 50)\nSELECT TOP (1) name FROM dbo.backupset",
    )
    assert.deepEqual(
      result.recordsets.map((r) => r.length),
      [1, 1, 1],
    )
    assert.equal((result.recordsets as unknown as Record<string, unknown>[][])[0]?.[0]?.db, 'msdb')
    assert.equal((result.recordsets as unknown as Record<string, unknown>[][])[1]?.[0]?.open_transactions, 1)
    assert.deepEqual(infos, ["Changed database context to 'msdb'.", 'seeding GiftCard is 50% done'])
    await pool.request().batch('USE master')
    const raised = await failure(batch("RAISERROR(N'cutover blocked: %s', 16, 2, N'gate')"))
    assert.deepEqual(
      [raised.number, raised.class, raised.state, raised.message],
      [50000, 16, 2, 'cutover blocked: gate'],
    )
    const commit = await failure(batch('COMMIT TRANSACTION'))
    assert.equal(commit.number, 3902)
    const inline = (
      await batch("SELECT name FROM sys.databases WHERE name = N'GiftCard' AND database_id > 4")
    ).recordset
    const bound = (
      await run('SELECT name FROM sys.databases WHERE name = @db AND database_id > @id', {
        db: 'GiftCard',
        id: 4,
      })
    ).recordset
    assert.deepEqual(inline, [{ name: 'GiftCard' }])
    assert.deepEqual(bound, inline)
  })

  test('joins, APPLY, CASE, ORDER BY, TOP and COUNT over the catalog', async () => {
    const bare = await failure(run('SELECT name, COUNT(*) AS n FROM sys.databases'))
    assert.equal(bare.number, 8120, 'a bare column beside an aggregate is 8120')
    const ordered = (
      await run(`SELECT TOP (2) d.name, CASE WHEN d.database_id > 4 THEN 'user' ELSE 'system' END AS kind
                 FROM sys.databases d ORDER BY d.database_id DESC`)
    ).recordset
    assert.deepEqual(ordered, [
      { name: 'GiftCardReports', kind: 'user' },
      { name: 'GiftCardAudit', kind: 'user' },
    ])
    const [count] = (await run('SELECT COUNT(*) AS n FROM sys.databases WHERE database_id <= 4')).recordset
    assert.equal(count?.n, 4)
    const volumes = (await run(q.VOLUMES)).recordset
    assert.ok(volumes.length >= 1, 'CROSS APPLY sys.dm_os_volume_stats finds the volumes holding files')
  })

  test('RPC by procedure name and prepared statements (sp_prepare / sp_execute) work like sp_executesql by id', async () => {
    const { pool } = await serverOf(2022)
    const byName = await pool
      .request()
      .input('statement', sql.NVarChar, 'SELECT name FROM sys.databases WHERE name = @db')
      .input('params', sql.NVarChar, '@db nvarchar(128)')
      .input('db', sql.NVarChar, 'GiftCardAudit')
      .execute('sp_executesql')
    assert.deepEqual(byName.recordset, [{ name: 'GiftCardAudit' }])
    const prepared = new sql.PreparedStatement(pool)
    prepared.input('id', sql.Int)
    await prepared.prepare('SELECT name FROM sys.databases WHERE database_id = @id')
    try {
      assert.deepEqual((await prepared.execute({ id: 1 })).recordset, [{ name: 'master' }])
      assert.deepEqual((await prepared.execute({ id: 4 })).recordset, [{ name: 'msdb' }])
    } finally {
      await prepared.unprepare()
    }
    const missing = await failure(pool.request().execute('sp_no_such_procedure'))
    assert.deepEqual(
      [missing.number, missing.message],
      [2812, "Could not find stored procedure 'sp_no_such_procedure'."],
    )
  })
})
