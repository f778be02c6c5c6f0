import type { Report } from './preflight-report.js'
import type { EndpointRow } from './queries.js'

const WINDOWS = ['NTLM', 'KERBEROS', 'NEGOTIATE']

/** The parts of a *_desc list (NEGOTIATE_CERTIFICATE, NONE_AES) as a set. */
const parts = (desc: string) => new Set(desc.split('_'))

/** Windows methods meet when equal or when either side negotiates. */
function windowsAuthMeets(primary: Set<string>, replica: Set<string>): boolean {
  const p = WINDOWS.filter((m) => primary.has(m))
  const r = WINDOWS.filter((m) => replica.has(m))
  return p.some((x) => r.some((y) => x === y || x === 'NEGOTIATE' || y === 'NEGOTIATE'))
}

/**
 * The primary's and the replica's mirroring endpoints must share an encryption algorithm and an authentication
 * method, or the replica never connects (35250 after JOIN).
 */
export function endpointsMatch(report: Report, primary: EndpointRow, replica: EndpointRow, on: string) {
  const pa = parts(primary.encryption_algorithm_desc)
  const ra = parts(replica.encryption_algorithm_desc)
  const common = [...pa].filter((a) => ra.has(a))
  if (common.length === 0)
    report.fail(
      'endpoint encryption',
      on,
      `the replica's endpoint offers ${replica.encryption_algorithm_desc}, the primary's ${primary.encryption_algorithm_desc}: no algorithm in common, so the replica cannot connect (35250); ALTER ENDPOINT ... FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM AES) on both`,
    )
  else report.pass('endpoint encryption', on, `both endpoints accept ${common.join(' or ')}`)
  const pm = parts(primary.connection_auth_desc)
  const rm = parts(replica.connection_auth_desc)
  const certificates = pm.has('CERTIFICATE') && rm.has('CERTIFICATE')
  if (certificates || windowsAuthMeets(pm, rm))
    report.pass(
      'endpoint authentication',
      on,
      `${replica.connection_auth_desc} meets the primary's ${primary.connection_auth_desc}${certificates && !windowsAuthMeets(pm, rm) ? ' by certificate' : ''}`,
    )
  else
    report.fail(
      'endpoint authentication',
      on,
      `the replica's endpoint authenticates with ${replica.connection_auth_desc}, the primary's with ${primary.connection_auth_desc}: no method in common, so the replica cannot connect (35250); use Windows authentication in one domain, or certificates on both outside it`,
    )
}
