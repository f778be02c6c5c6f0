// Clients no one here wrote talk to the sandbox's SQL Server: FreeTDS's tsql and Python's pymssql (both from Debian,
// both on FreeTDS, with GnuTLS). They log in over TLS, read the availability group's views and get SQL Server's
// error numbers back; a login to a database that does not exist is 4060.
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { demoSqlWorld, type SqlSandbox, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import * as q from '../src/steps/sql/queries.ts'

const PASSWORD = 'Free-TDS-2024!'
const P = 'SQL-ONPREM-1'

const missingTsql = spawnSync('tsql', ['-C']).error
  ? 'FreeTDS tsql is not installed (Debian freetds-bin)'
  : undefined
/** The Python that has pymssql: Debian's python3-pymssql installs it for /usr/bin/python3. */
const python = ['python3', '/usr/bin/python3'].find(
  (p) => spawnSync(p, ['-c', 'import pymssql']).status === 0,
)

let sandbox: SqlSandbox
let dir: string

before(async () => {
  sandbox = await startSqlSandbox({ world: demoSqlWorld({ password: PASSWORD }) })
  dir = mkdtempSync(join(tmpdir(), 'switchyard-freetds-'))
})
after(async () => {
  await sandbox?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A freetds.conf naming the primary as server `sandbox`, with the encryption and TDS version asked for. */
function freetdsConf(encryption: 'require' | 'off', tdsVersion = '7.4'): string {
  const at = sandbox.instances[P]
  if (!at) throw new Error('no primary')
  const file = join(dir, `freetds-${encryption}-${tdsVersion}.conf`)
  writeFileSync(
    file,
    `[sandbox]\n\thost = ${at.host}\n\tport = ${at.port}\n\ttds version = ${tdsVersion}\n\tencryption = ${encryption}\n`,
  )
  return file
}

/** Runs a tsql session: each statement followed by `go`, as a DBA types them. Async: the sandbox runs in this process. */
function tsql(
  statements: string[],
  options: { encryption?: 'require' | 'off'; database?: string; tdsVersion?: string } = {},
): Promise<string> {
  const script = `${statements.map((s) => `${s}\ngo\n`).join('')}exit\n`
  const args = [
    '-S',
    'sandbox',
    '-U',
    'migrator',
    '-P',
    PASSWORD,
    ...(options.database ? ['-D', options.database] : []),
  ]
  const child = spawn('tsql', args, {
    env: { ...process.env, FREETDSCONF: freetdsConf(options.encryption ?? 'require', options.tdsVersion) },
    timeout: 20_000,
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
  })
  child.stdin.end(script)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', () => resolve(out))
  })
}

describe('FreeTDS tsql against the sandbox', { skip: missingTsql }, () => {
  test('logs in with encryption required, reads @@VERSION and the AG views, and gets 207 and 208 by number', async () => {
    const out = await tsql([
      'SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID',
      'SELECT @@VERSION',
      q.REPLICAS.replace('@ag', "N'AG-GIFTCARD'"),
      'SELECT no_such_column FROM sys.availability_replicas',
      'SELECT name FROM sys.no_such_view',
    ])
    assert.match(out, /encrypt_option\s+TRUE/)
    assert.match(out, /Microsoft SQL Server 2022 \(RTM-CU15\)/)
    assert.match(out, /SQL-ONPREM-1\s+TCP:\/\/sql-onprem-1\.giftcard\.local:5022\s+SYNCHRONOUS_COMMIT/)
    assert.match(out, /Msg 207 \(severity 16, state 1\)[^\n]*\n\s*"Invalid column name 'no_such_column'\."/)
    assert.match(
      out,
      /Msg 208 \(severity 16, state 1\)[^\n]*\n\s*"Invalid object name 'sys\.no_such_view'\."/,
    )
  })

  test('without encryption the session is plaintext and says so', async () => {
    const out = await tsql(['SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID'], {
      encryption: 'off',
    })
    assert.match(out, /encrypt_option\s+FALSE/)
  })

  test('answers each TDS version a client asks for, 7.1 to 7.4, as SQL Server does', async () => {
    const versions = { '7.1': 0x71000001, '7.2': 0x72090002, '7.3': 0x730b0003, '7.4': 0x74000004 }
    for (const [tdsVersion, wire] of Object.entries(versions)) {
      const out = await tsql(
        [
          'SELECT protocol_version, encrypt_option, connect_time FROM sys.dm_exec_connections WHERE session_id = @@SPID',
          'SELECT no_such_column FROM sys.databases',
        ],
        { tdsVersion },
      )
      assert.match(out, new RegExp(`\\n${wire}\\s+TRUE\\s`), `TDS ${tdsVersion}: ${out}`)
      assert.match(out, /Msg 207 \(severity 16, state 1\)/, `TDS ${tdsVersion}`)
    }
  })

  test('a login to a database that does not exist is refused with 4060', async () => {
    const out = await tsql(['SELECT 1'], { database: 'NoSuchDb' })
    assert.match(
      out,
      /Msg 4060[^\n]*\n\s*"Cannot open database "NoSuchDb" requested by the login\. The login failed\."/,
    )
  })
})

const PYMSSQL_SCRIPT = `
import json, sys, pymssql
statement, ag, bad = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
with pymssql.connect(server='sandbox', port=sys.argv[5], user='migrator', password=sys.argv[4], database='master') as conn:
    cur = conn.cursor(as_dict=True)
    cur.execute('SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID')
    out['encrypt_option'] = cur.fetchone()['encrypt_option']
    cur.execute('SELECT @@VERSION AS v')
    out['version'] = cur.fetchone()['v']
    cur.execute(statement.replace('@ag', '%s'), (ag,))
    out['replicas'] = [r['replica_server_name'] for r in cur.fetchall()]
    try:
        cur.execute(bad)
    except pymssql.Error as e:
        out['error'] = [e.args[0], e.args[1].decode('utf-8', 'replace')]
print(json.dumps(out))
`

describe('pymssql against the sandbox', {
  skip: python ? undefined : 'pymssql is not installed (Debian python3-pymssql)',
}, () => {
  test('binds a parameter as a literal, reads the AG, and sees 207 with its number, over TLS', async () => {
    const port = String(sandbox.instances[P]?.port)
    const bad = 'SELECT endpoint_uri FROM sys.availability_replicas'
    const { stdout } = await promisify(execFile)(
      python as string,
      ['-c', PYMSSQL_SCRIPT, q.REPLICAS, 'AG-GIFTCARD', bad, PASSWORD, port],
      { env: { ...process.env, FREETDSCONF: freetdsConf('require') }, encoding: 'utf8', timeout: 20_000 },
    )
    const out = JSON.parse(stdout) as {
      encrypt_option: string
      version: string
      replicas: string[]
      error: [number, string]
    }
    assert.equal(out.encrypt_option, 'TRUE')
    assert.match(out.version, /^Microsoft SQL Server 2022/)
    assert.deepEqual(out.replicas, ['SQL-ONPREM-1', 'SQL-ONPREM-2'])
    assert.equal(out.error[0], 207)
    assert.match(out.error[1], /Invalid column name 'endpoint_uri'\./)
  })
})
