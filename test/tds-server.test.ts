// The sandbox TDS server, driven by the real mssql client (tedious) over TCP: no client is mocked.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import sql from 'mssql'
import {
  type Parameter,
  type Reply,
  type Session,
  SqlServerError,
  startTdsServer,
  type TdsServer,
} from '../src/sandbox/sql/tds/index.js'
import { encodeResultSet } from '../src/sandbox/sql/tds/result-set.js'
import { waitUntil } from './helpers/cli.ts'

const USER = 'switchyard'
const PASSWORD = 'Pässw0rd!'
const BIG_DECIMAL = '1234567890123456789012345'
const GUID = '6F9619FF-8B86-D011-B42D-00C04FC964FF'
const WHEN = new Date('2024-02-29T13:45:56.789Z')

/** Every column type the server encodes, with one row of values and one row of NULLs. */
const everyType: Reply = {
  resultSets: [
    {
      columns: [
        { name: 'i', type: 'int' },
        { name: 'b', type: 'bigint' },
        { name: 'flag', type: 'bit' },
        { name: 'n', type: 'nvarchar' },
        { name: 'v', type: 'varchar' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'decimal', precision: 10, scale: 3 },
        { name: 'at', type: 'datetime2' },
        { name: 'g', type: 'uniqueidentifier' },
        { name: 'bin', type: 'varbinary' },
        { name: 't', type: 'tinyint' },
        { name: 's', type: 'smallint', nullable: false },
      ],
      rows: [
        [
          -7,
          9007199254740993n,
          true,
          'héllo ☃',
          'ascii ü',
          3.25,
          '-1234567.891',
          WHEN,
          GUID,
          Buffer.from([1, 2, 255]),
          255,
          -32768,
        ],
        [null, null, null, null, null, null, null, null, null, null, null, null],
      ],
    },
  ],
}

interface Seen {
  sql: string
  params: Parameter[]
  session: Session
}

describe('TDS server with the mssql client', () => {
  let server: TdsServer
  let pool: sql.ConnectionPool
  const seen: Seen[] = []
  const aborted: string[] = []

  const replies: Record<string, (params: Parameter[], signal: AbortSignal) => Reply | Promise<Reply>> = {
    'SELECT 1;': () => ({ resultSets: [{ columns: [{ name: '', type: 'int' }], rows: [[1]] }] }),
    'select every type': () => everyType,
    'echo params': () => ({}),
    'two result sets and an update': () => ({
      resultSets: [
        { columns: [{ name: 'a', type: 'int' }], rows: [[1], [2]] },
        { columns: [{ name: 'b', type: 'nvarchar' }], rows: [['x']] },
      ],
      rowsAffected: 5,
      infoMessages: ['printed'],
    }),
    'violate key': () => {
      throw new SqlServerError(2627, 'Violation of PRIMARY KEY constraint.', 2, 14)
    },
    'fail after rows': () => ({
      resultSets: [{ columns: [{ name: 'a', type: 'int' }], rows: [[1]] }],
      error: new SqlServerError(8134, 'Divide by zero error encountered.', 1, 16),
    }),
    'wait for cancel': (_params, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted.push('wait for cancel')
          reject(signal.reason)
        })
      }),
    'echo length': (params) => ({
      resultSets: [
        {
          columns: [
            { name: 'length', type: 'int' },
            { name: 'text', type: 'nvarchar' },
          ],
          rows: [[String(params[0]?.value).length, String(params[0]?.value)]],
        },
      ],
    }),
    'many rows': () => ({
      resultSets: [
        {
          columns: [
            { name: 'id', type: 'int' },
            { name: 'name', type: 'nvarchar' },
          ],
          rows: Array.from({ length: 5000 }, (_, i) => [i, `row ${i}`]),
        },
      ],
    }),
    'big decimal': () => ({
      resultSets: [
        {
          columns: [
            { name: 'd', type: 'decimal', precision: 25, scale: 0 },
            { name: 'lsn', type: 'varchar' },
          ],
          rows: [[BIG_DECIMAL, BIG_DECIMAL]],
        },
      ],
    }),
  }

  before(async () => {
    server = await startTdsServer({
      handler: {
        login: ({ user, password }) => {
          if (user !== USER || password !== PASSWORD)
            throw new SqlServerError(18456, `Login failed for user '${user}'.`, 1, 14)
          return { serverName: 'SQL-A' }
        },
        execute: async (session, text, params, signal) => {
          seen.push({ sql: text, params, session })
          const reply = replies[text]
          if (!reply) throw new SqlServerError(2812, `unknown statement ${text}`)
          return reply(params, signal)
        },
      },
      fault: (_session, text) => (text === 'drop me' ? 'drop' : undefined),
    })
    pool = await connect()
  })

  after(async () => {
    await pool?.close()
    await server?.close()
  })

  async function connect(overrides: Partial<sql.config> = {}): Promise<sql.ConnectionPool> {
    const connection = new sql.ConnectionPool({
      server: '127.0.0.1',
      port: server.port,
      user: USER,
      password: PASSWORD,
      database: 'master',
      options: { encrypt: false, trustServerCertificate: true },
      pool: { max: 2 },
      ...overrides,
    })
    // tedious 19 re-emits a dropped socket as a pool 'error'; without a listener the test process would crash
    connection.on('error', () => {})
    return connection.connect()
  }

  test('login succeeds and the session carries the user, database and server name', async () => {
    const result = await pool.request().query('SELECT 1;')
    assert.deepEqual(result.recordset, [{ '': 1 }])
    const sessions = server.sessions()
    assert.ok(sessions.length >= 1)
    assert.ok(sessions.every((s) => s.user === USER && s.database === 'master' && s.serverName === 'SQL-A'))
    assert.ok(sessions.every((s) => s.appName === 'node-mssql' && s.id >= 51))
  })

  test('a refused login surfaces as ELOGIN with the handler message', async () => {
    await assert.rejects(connect({ password: 'wrong' }), (error: sql.ConnectionError) => {
      assert.equal(error.code, 'ELOGIN')
      assert.equal(error.message, `Login failed for user '${USER}'.`)
      return true
    })
  })

  test('every column type round-trips, including NULLs and column metadata', async () => {
    const result = await pool.request().query('select every type')
    assert.deepEqual(result.recordset[0], {
      i: -7,
      b: '9007199254740993',
      flag: true,
      n: 'héllo ☃',
      v: 'ascii ü',
      f: 3.25,
      d: -1234567.891,
      at: WHEN,
      g: GUID,
      bin: Buffer.from([1, 2, 255]),
      t: 255,
      s: -32768,
    })
    assert.ok(
      Object.values(result.recordset[1] as object)
        .slice(0, 11)
        .every((value) => value === null),
    )
    assert.equal(result.recordset.columns.i?.nullable, true)
    assert.equal(result.recordset.columns.s?.nullable, false)
  })

  test('parameters of each type arrive decoded at the handler', async () => {
    await pool
      .request()
      .input('n', sql.NVarChar, 'héllo ☃')
      .input('v', sql.VarChar(20), 'café')
      .input('i', sql.Int, -42)
      .input('b', sql.BigInt, '9007199254740993')
      .input('bit', sql.Bit, true)
      .input('d', sql.Decimal(10, 2), 12345.67)
      .input('num', sql.Numeric(5, 0), -7)
      .input('at', sql.DateTime2(3), WHEN)
      .input('g', sql.UniqueIdentifier, GUID.toLowerCase())
      .input('bin', sql.VarBinary, Buffer.from([0, 1, 2]))
      .input('f', sql.Float, 0.5)
      .input('nothing', sql.NVarChar, null)
      .query('echo params')
    const call = seen.findLast((s) => s.sql === 'echo params')
    assert.deepEqual(
      call?.params.map(({ name, type, value }) => [name, type, value]),
      [
        ['n', 'nvarchar', 'héllo ☃'],
        ['v', 'varchar', 'café'],
        ['i', 'int', -42],
        ['b', 'bigint', '9007199254740993'],
        ['bit', 'bit', true],
        ['d', 'decimal', '12345.67'],
        ['num', 'numeric', '-7'],
        ['at', 'datetime2', WHEN],
        ['g', 'uniqueidentifier', GUID],
        ['bin', 'varbinary', Buffer.from([0, 1, 2])],
        ['f', 'float', 0.5],
        ['nothing', 'nvarchar', null],
      ],
    )
  })

  test('several result sets, info messages and rowsAffected come back from one reply', async () => {
    const request = pool.request()
    const infos: string[] = []
    request.on('info', (info: { message: string }) => infos.push(info.message))
    const result = await request.query('two result sets and an update')
    assert.equal(result.recordsets.length, 2)
    assert.deepEqual((result.recordsets as sql.IRecordSet<unknown>[])[1], [{ b: 'x' }])
    assert.deepEqual(result.rowsAffected, [2, 1, 5])
    assert.deepEqual(infos, ['printed'])
  })

  test('the same reply works as a SQL batch', async () => {
    const result = await pool.request().batch('two result sets and an update')
    assert.equal(result.recordsets.length, 2)
    assert.deepEqual(result.rowsAffected, [2, 1, 5])
  })

  test('an error carries number, class and state and the connection stays usable', async () => {
    await assert.rejects(pool.request().query('violate key'), (error: sql.RequestError) => {
      assert.equal(error.number, 2627)
      assert.equal(error.class, 14)
      assert.equal(error.state, 2)
      assert.equal(error.message, 'Violation of PRIMARY KEY constraint.')
      assert.equal(error.serverName, 'SQL-A')
      return true
    })
    await assert.rejects(pool.request().query('fail after rows'), { number: 8134 })
    const result = await pool.request().query('SELECT 1;')
    assert.deepEqual(result.recordset, [{ '': 1 }])
  })

  test('a request timeout aborts the handler signal and the pool keeps working', async () => {
    const impatient = await connect({ requestTimeout: 300 })
    try {
      await assert.rejects(impatient.request().query('wait for cancel'), { code: 'ETIMEOUT' })
      assert.deepEqual(aborted, ['wait for cancel'])
      const result = await impatient.request().query('SELECT 1;')
      assert.deepEqual(result.recordset, [{ '': 1 }])
    } finally {
      await impatient.close()
    }
  })

  test('a dropped connection fails the request and the pool reconnects', async () => {
    await assert.rejects(pool.request().query('drop me'), (error: sql.RequestError) => {
      // tedious 19 reports a socket reset mid-request as ECONNRESET (ECONNCLOSED is for requests on a closed connection)
      assert.equal(error.code, 'ECONNRESET')
      return true
    })
    const result = await pool.request().query('SELECT 1;')
    assert.deepEqual(result.recordset, [{ '': 1 }])
  })

  test('dropAll cuts every session and the pool reconnects on the next query', async () => {
    await pool.request().query('SELECT 1;')
    server.dropAll()
    await waitUntil(() => server.sessions().length === 0)
    const result = await pool.request().query('SELECT 1;')
    assert.deepEqual(result.recordset, [{ '': 1 }])
  })

  test('a 100 kB string crosses packets both ways', async () => {
    const text = 'x'.repeat(50_000) + '☃'.repeat(25_000)
    const result = await pool.request().input('text', sql.NVarChar(sql.MAX), text).query('echo length')
    assert.equal(result.recordset[0]?.length, 75_000)
    assert.equal(result.recordset[0]?.text, text)
  })

  test('a 5,000-row result set arrives complete', async () => {
    const result = await pool.request().query('many rows')
    assert.equal(result.recordset.length, 5000)
    assert.deepEqual(result.recordset[4999], { id: 4999, name: 'row 4999' })
  })

  test('a decimal(25,0) beyond 2^53 is encoded exactly', async () => {
    const result = await pool.request().query('big decimal')
    // tedious reads decimals as JS numbers, so only the varchar copy can be compared digit for digit
    assert.equal(result.recordset[0]?.d, Number(BIG_DECIMAL))
    assert.equal(result.recordset[0]?.lsn, BIG_DECIMAL)
  })

  test('decimal values are encoded as exact sign and magnitude bytes', () => {
    const encoded = encodeResultSet({
      columns: [{ name: 'd', type: 'decimal', precision: 25, scale: 0 }],
      rows: [[BIG_DECIMAL]],
    })
    // DECIMALN for precision 25: length 13 = sign byte + 12-byte little-endian magnitude, at the end of the ROW
    const value = encoded.subarray(encoded.length - 14)
    assert.equal(value[0], 13)
    assert.equal(value[1], 1)
    const magnitude = [...value.subarray(2)].reverse().reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n)
    assert.equal(magnitude.toString(), BIG_DECIMAL)
  })

  test('transactions begin, commit and roll back', async () => {
    const transaction = new sql.Transaction(pool)
    await transaction.begin()
    await transaction.request().query('SELECT 1;')
    await transaction.commit()
    const rolledBack = new sql.Transaction(pool)
    await rolledBack.begin()
    await rolledBack.rollback()
  })
})
