import type { SqlConnection } from '../../clients/sql.js'
import { sameName } from './common.js'
import type { Report } from './preflight-report.js'
import {
  CERTIFICATES,
  type CertificateRow,
  DATABASE_ENCRYPTION,
  DATABASE_OWNER,
  type DatabaseEncryptionRow,
  type DatabaseOwnerRow,
  ENDPOINT_CONNECT_GRANTEES,
  type EndpointRow,
  type GranteeRow,
  LOGIN,
  type PermissionNameRow,
  SERVICE_ACCOUNTS,
  type ServiceAccountRow,
  SYSTEM_ACCOUNT_PERMISSIONS,
} from './queries.js'

const SYSTEM_NEEDS = ['ALTER ANY AVAILABILITY GROUP', 'CONNECT SQL', 'VIEW SERVER STATE']

/** The WSFC's health check logs in as NT AUTHORITY\SYSTEM: without these it fails with 41131 (dbatools grants them). */
export async function systemAccountCheck(report: Report, conn: SqlConnection, on: string) {
  const granted = (await conn.read<PermissionNameRow>(SYSTEM_ACCOUNT_PERMISSIONS)).map(
    (r) => r.permission_name,
  )
  const missing = SYSTEM_NEEDS.filter((need) => !granted.some((g) => sameName(g, need)))
  if (missing.length === 0) report.pass('NT AUTHORITY\\SYSTEM', on, `has ${SYSTEM_NEEDS.join(', ')}`)
  else
    report.fail(
      'NT AUTHORITY\\SYSTEM',
      on,
      `lacks ${missing.join(', ')}: the cluster's health check cannot run and the AG fails with 41131; GRANT ${missing.join(', ')} TO [NT AUTHORITY\\SYSTEM]`,
    )
}

async function engineAccount(conn: SqlConnection): Promise<string | undefined> {
  const services = await conn.read<ServiceAccountRow>(SERVICE_ACCOUNTS)
  return services.find((s) => /^SQL Server \(/i.test(s.servicename))?.service_account
}

/**
 * Each side's endpoint lets the other side's service account CONNECT (Windows authentication); certificate-only
 * endpoints grant to a certificate login instead, which the certificate check covers.
 */
export async function endpointGrantChecks(
  report: Report,
  sides: { conn: SqlConnection; endpoint: EndpointRow; on: string }[],
) {
  const accounts = await Promise.all(sides.map((s) => engineAccount(s.conn)))
  for (const [i, side] of sides.entries()) {
    const peer = accounts[1 - i]
    if (!peer || side.endpoint.connection_auth_desc === 'CERTIFICATE') continue
    const grantees = (await side.conn.read<GranteeRow>(ENDPOINT_CONNECT_GRANTEES)).map((r) => r.grantee)
    if (grantees.some((g) => sameName(g, peer)))
      report.pass('endpoint CONNECT', side.on, `${peer} may connect to ${side.endpoint.name}`)
    else
      report.fail(
        'endpoint CONNECT',
        side.on,
        `${peer} (the other replica's service account) may not connect to ${side.endpoint.name}: the replica cannot connect (35250); CREATE LOGIN [${peer}] FROM WINDOWS if needed, then GRANT CONNECT ON ENDPOINT::[${side.endpoint.name}] TO [${peer}]`,
      )
  }
}

const hex = (b: Buffer | null | undefined) => `0x${(b ?? Buffer.alloc(0)).toString('hex').toUpperCase()}`

/**
 * TDE: a database encrypted on the primary can only be seeded or restored on a replica holding the certificate (same
 * thumbprint) with its private key; seeding fails on the replica otherwise.
 */
export async function encryptionCheck(
  report: Report,
  primary: SqlConnection,
  replica: SqlConnection,
  db: string,
) {
  const on = `database ${db}`
  const [key] = await primary.read<DatabaseEncryptionRow>(DATABASE_ENCRYPTION, { db })
  if (!key) return
  const thumbprint = hex(key.encryptor_thumbprint)
  const held = (await replica.read<CertificateRow>(CERTIFICATES)).find(
    (c) => hex(c.thumbprint) === thumbprint,
  )
  if (!held)
    report.fail(
      'TDE certificate',
      on,
      `encrypted (TDE) by the certificate with thumbprint ${thumbprint}, which the replica does not have: BACKUP CERTIFICATE ... WITH PRIVATE KEY on the primary, then CREATE CERTIFICATE ... FROM FILE ... WITH PRIVATE KEY in the replica's master (after CREATE MASTER KEY) before seeding`,
    )
  else if (held.pvt_key_encryption_type_desc === 'NO_PRIVATE_KEY')
    report.fail(
      'TDE certificate',
      on,
      `the replica has certificate ${held.name} (${thumbprint}) without its private key: it cannot open the database; recreate it WITH PRIVATE KEY`,
    )
  else
    report.pass(
      'TDE certificate',
      on,
      `encrypted by ${thumbprint}; the replica has ${held.name} with its private key`,
    )
}

/**
 * The database keeps its owner's SID on the replica: when no login there has it, the owner is orphaned after
 * failover (jobs and EXECUTE AS OWNER fail). A warning: the fix can wait for the sync of logins.
 */
export async function ownerCheck(report: Report, primary: SqlConnection, replica: SqlConnection, db: string) {
  const on = `database ${db}`
  const [row] = await primary.read<DatabaseOwnerRow>(DATABASE_OWNER, { db })
  if (!row) return
  if (!row.owner)
    return report.warn('owner', on, 'owned by a SID no login on the primary has; ALTER AUTHORIZATION on it')
  const [login] = await replica.read<{ name: string }>(LOGIN, { login: row.owner })
  if (login) report.pass('owner', on, `${row.owner}, a login on the replica too`)
  else
    report.warn(
      'owner',
      on,
      `owned by ${row.owner}, which is no login on the replica: copy the login with its SID (sql.sync-objects), or ALTER AUTHORIZATION ON DATABASE::[${db}] TO [sa] there after failover`,
    )
}

/**
 * An endpoint that authenticates with a certificate (a replica outside the domain) needs that certificate with its
 * private key, and the other side needs its public part (to map it to a login that may CONNECT).
 */
export async function endpointCertificateChecks(
  report: Report,
  sides: { conn: SqlConnection; endpoint: EndpointRow; on: string }[],
) {
  const held = await Promise.all(sides.map((s) => s.conn.read<CertificateRow>(CERTIFICATES)))
  for (const [i, side] of sides.entries()) {
    if (!side.endpoint.connection_auth_desc.includes('CERTIFICATE')) continue
    const own = held[i]?.find((c) => c.certificate_id === side.endpoint.certificate_id)
    const peer = sides[1 - i]
    if (!own || own.pvt_key_encryption_type_desc === 'NO_PRIVATE_KEY') {
      report.fail(
        'endpoint certificate',
        side.on,
        `${side.endpoint.name} authenticates with ${side.endpoint.connection_auth_desc} but has ${own ? `certificate ${own.name} without its private key` : 'no certificate'}: CREATE CERTIFICATE ... in master, then ALTER ENDPOINT ${side.endpoint.name} FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE ...)`,
      )
      continue
    }
    const thumbprint = hex(own.thumbprint)
    if (held[1 - i]?.some((c) => hex(c.thumbprint) === thumbprint))
      report.pass('endpoint certificate', side.on, `${own.name} (${thumbprint}), known on the other side too`)
    else
      report.fail(
        'endpoint certificate',
        peer?.on ?? side.on,
        `does not have ${own.name} (${thumbprint}), the certificate ${side.on}'s endpoint authenticates with: BACKUP CERTIFICATE there, CREATE CERTIFICATE ... FROM FILE here, map it to a login and GRANT CONNECT ON ENDPOINT to it`,
      )
  }
}
