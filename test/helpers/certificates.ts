// Throwaway certificates for tests, made by the openssl CLI: a CA, and server certificates for
// 127.0.0.1 and localhost that it signs, with the validity a test needs.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** Why certificates cannot be made here, or undefined when the openssl CLI runs. */
export function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' })
    return undefined
  } catch (error) {
    return `the openssl CLI does not run: ${(error as Error).message}`
  }
}

export interface CertificateAuthority {
  /** PEM file of the CA certificate: what a client's ca_file names. */
  caFile: string
  /** A server certificate for 127.0.0.1 and localhost, signed by this CA, valid for `days`. */
  issue(name: string, days: number): { certFile: string; keyFile: string }
}

/** A CA in `dir` (created if need be), its files named after `name`. */
export function certificateAuthority(dir: string, name = 'ca'): CertificateAuthority {
  mkdirSync(dir, { recursive: true })
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  openssl(
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '30',
    '-subj',
    `/CN=${name}`,
  )
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  return {
    caFile: join(dir, `${name}.pem`),
    issue(leaf, days) {
      openssl('req', ...EC_KEY, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', '/CN=localhost')
      openssl(
        'x509',
        '-req',
        '-in',
        `${leaf}.csr`,
        '-CA',
        `${name}.pem`,
        '-CAkey',
        `${name}.key`,
        '-CAcreateserial',
        '-out',
        `${leaf}.pem`,
        '-days',
        String(days),
        '-extfile',
        'san.ext',
      )
      return { certFile: join(dir, `${leaf}.pem`), keyFile: join(dir, `${leaf}.key`) }
    },
  }
}
