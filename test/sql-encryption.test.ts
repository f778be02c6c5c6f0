// Encryption between switchyard (mssql/tedious) and the sandbox's SQL Server: TLS inside PRELOGIN, TDS 8 strict,
// a certificate checked against a CA, Force Encryption, and a plaintext answer to encrypt: true refused loudly.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type sql from 'mssql'
import { SqlConnections, SqlTargetError } from '../src/clients/sql.ts'
import {
  demoSqlWorld,
  type SqlSandbox,
  type SqlSandboxOptions,
  startSqlSandbox,
} from '../src/sandbox/sql/index.ts'
import { sandboxPool } from './helpers/sql-pool.ts'

const PASSWORD = 'Encrypt-all-2024!'
const P = 'SQL-ONPREM-1'
const sandboxes: SqlSandbox[] = []
after(() => Promise.all(sandboxes.map((s) => s.close())))

async function sandboxWith(options: Partial<SqlSandboxOptions> = {}): Promise<SqlSandbox> {
  const sandbox = await startSqlSandbox({ world: demoSqlWorld({ password: PASSWORD }), ...options })
  sandboxes.push(sandbox)
  return sandbox
}

/** The session's own row of sys.dm_exec_connections, through mssql with the given options. */
async function connectionInfo(sandbox: SqlSandbox, options: sql.config['options']) {
  const pool = sandboxPool(sandbox, P, PASSWORD, { options })
  try {
    await pool.connect()
    const result = await pool
      .request()
      .query<{ encrypt_option: string; protocol_version: number }>(
        'SELECT encrypt_option, protocol_version FROM sys.dm_exec_connections WHERE session_id = @@SPID',
      )
    return result.recordset[0]
  } finally {
    await pool.close()
  }
}

describe('encryption to the sandbox SQL Server', () => {
  test('encrypt: true negotiates TLS inside PRELOGIN; the server certificate verifies against its CA', async () => {
    const sandbox = await sandboxWith()
    assert.deepEqual(await connectionInfo(sandbox, { encrypt: true, trustServerCertificate: true }), {
      encrypt_option: 'TRUE',
      protocol_version: 0x74000004,
    })
    const verified = await connectionInfo(sandbox, {
      encrypt: true,
      cryptoCredentialsDetails: { ca: sandbox.certificate },
    })
    assert.equal(verified?.encrypt_option, 'TRUE')
    await assert.rejects(
      connectionInfo(sandbox, { encrypt: true }),
      /self-signed certificate|unable to verify/i,
    )
  })

  test('TDS 8 strict: TLS from the first byte, which a server without a certificate cannot answer', async () => {
    const sandbox = await sandboxWith()
    const strict = {
      encrypt: 'strict' as unknown as boolean,
      cryptoCredentialsDetails: { ca: sandbox.certificate },
    }
    assert.equal((await connectionInfo(sandbox, strict))?.encrypt_option, 'TRUE')
    const plaintextOnly = await sandboxWith({ encryption: 'none' })
    await assert.rejects(connectionInfo(plaintextOnly, strict))
  })

  test('Force Encryption refuses a client that will not encrypt', async () => {
    const sandbox = await sandboxWith({ forceEncryption: true })
    await assert.rejects(connectionInfo(sandbox, { encrypt: false }), /Server requires encryption/)
  })

  test('encrypt: true to a server that answers in plaintext fails before any statement, saying what to do', async () => {
    const sandbox = await sandboxWith({ encryption: 'none' })
    const target = sandbox.target(P, { password: PASSWORD })
    assert.equal(target.encrypt, true)
    const connections = new SqlConnections()
    try {
      await assert.rejects(connections.connect('sql-onprem', target), (error: unknown) => {
        assert.ok(error instanceof SqlTargetError)
        assert.equal(error.code, 'EENCRYPT')
        assert.match(error.message, /^sql target sql-onprem \(127\.0\.0\.1:\d+\): encryption was asked for/)
        assert.match(String(error.hint), /certificate/)
        return true
      })
      const plain = await connections.connect('sql-plain', { ...target, encrypt: false })
      assert.deepEqual(
        await plain.read('SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID'),
        [{ encrypt_option: 'FALSE' }],
      )
    } finally {
      await connections.destroy()
    }
  })
})
