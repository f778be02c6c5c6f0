// An mssql pool to one instance of a sandbox's SQL Server, for tests that talk to it as a client would.
import sql from 'mssql'
import type { SqlSandbox } from '../../src/sandbox/sql/index.ts'

export function sandboxPool(
  sandbox: SqlSandbox,
  instance: string,
  password: string,
  config: Partial<sql.config> = {},
): sql.ConnectionPool {
  const at = sandbox.instances[instance]
  if (!at) throw new Error(`the sandbox serves no instance ${instance}`)
  const pool = new sql.ConnectionPool({
    server: at.host,
    port: at.port,
    user: 'migrator',
    password,
    connectionTimeout: 5000,
    ...config,
  })
  // A pool emits 'error' for a connection that dies idle; these tests assert on requests instead
  pool.on('error', () => {})
  return pool
}

/** Sends T-SQL to one instance as a DBA would, on a pool of its own. */
export async function sandboxExec(sandbox: SqlSandbox, instance: string, password: string, text: string) {
  const pool = sandboxPool(sandbox, instance, password, { options: { trustServerCertificate: true } })
  await pool.connect()
  try {
    await pool.request().query(text)
  } finally {
    await pool.close()
  }
}
